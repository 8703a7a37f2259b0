/** Registry adapters (Verra, Gold Standard, CCTS): serial formats, export parsers, API client and shapes. */
export * from "./adapter";
export * from "./api";
export * from "./apiClient";
export * from "./ccts";
export * from "./csvExport";
export * from "./goldStandard";
export * from "./certificationLabels";
export * from "./serial";
export * from "./verra";
