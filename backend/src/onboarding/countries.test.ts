import { describe, expect, it } from "vitest";
import { resolveCountry, resolveIcaoCountryCode, sameCountry } from "./countries";
import { foldText } from "./text-fold";

describe("resolveCountry", () => {
  it.each([
    ["IR", "IR"], ["ir", "IR"], ["IRN", "IR"], ["Iran", "IR"], ["Iran (Islamic Republic of)", "IR"], ["Iran, Islamic Republic of", "IR"],
    ["Korea, North", "KP"], ["Democratic People's Republic of Korea", "KP"], ["Russian Federation", "RU"], ["Russia", "RU"],
    ["Syrian Arab Republic", "SY"], ["Venezuela (Bolivarian Republic of)", "VE"], ["Türkiye", "TR"], ["Turkey", "TR"],
    ["Côte d'Ivoire", "CI"], ["Cote d Ivoire", "CI"], ["Burma", "MM"], ["the United Kingdom", "GB"], ["Kosovo", "XK"],
    ["Democratic Republic of the Congo", "CD"], ["Congo", "CG"], ["Viet Nam", "VN"],
  ])("resolves %s to %s", (raw, code) => {
    expect(resolveCountry(raw)).toEqual({ code, raw });
  });

  it("keeps what it cannot resolve", () => {
    expect(resolveCountry("Atlantis")).toEqual({ code: null, raw: "Atlantis" });
    expect(resolveCountry("QQ")).toEqual({ code: null, raw: "QQ" });
  });
});

describe("resolveIcaoCountryCode", () => {
  it("maps MRZ codes, including ICAO-only ones", () => {
    expect(resolveIcaoCountryCode("GBR")).toEqual({ code: "GB", raw: "GBR" });
    expect(resolveIcaoCountryCode("D<<")).toEqual({ code: "DE", raw: "D" });
    expect(resolveIcaoCountryCode("GBD")).toEqual({ code: "GB", raw: "GBD" });
    expect(resolveIcaoCountryCode("RKS")).toEqual({ code: "XK", raw: "RKS" });
    expect(resolveIcaoCountryCode("UTO")).toEqual({ code: null, raw: "UTO" });
    expect(resolveIcaoCountryCode("XXA")).toEqual({ code: null, raw: "XXA" });
  });
});

describe("sameCountry", () => {
  it("compares codes, or folded names when neither resolves", () => {
    expect(sameCountry(resolveCountry("IRN"), resolveCountry("Iran"))).toBe(true);
    expect(sameCountry(resolveCountry("UTO"), resolveIcaoCountryCode("UTO"))).toBe(true);
    expect(sameCountry(resolveCountry("IR"), resolveCountry("IQ"))).toBe(false);
    expect(sameCountry(resolveCountry("Atlantis"), resolveCountry("IR"))).toBe(false);
  });
});

describe("foldText", () => {
  it("folds case, accents, special Latin letters and Cyrillic", () => {
    expect(foldText("ÅNGSTRÖM Œuvre ß ł đ")).toBe("angstrom oeuvre ss l d");
    expect(foldText("Йошкар-Ола Ёлка")).toBe("yoshkar-ola elka");
    expect(foldText("İstanbul")).toBe("istanbul");
  });
});
