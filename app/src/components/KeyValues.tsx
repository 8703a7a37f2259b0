/** Renders an API answer readably: objects as definition lists, arrays of objects as tables. */
export function KeyValues({ value }: { value: unknown }) {
  if (Array.isArray(value)) {
    if (value.length === 0) return <p className="muted">none</p>;
    if (value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v))) {
      const columns = [...new Set(value.flatMap((v) => Object.keys(v as object)))];
      return (
        <table>
          <thead><tr>{columns.map((c) => <th key={c}>{c}</th>)}</tr></thead>
          <tbody>
            {value.map((row, i) => (
              <tr key={i}>{columns.map((c) => <td key={c}><KeyValues value={(row as Record<string, unknown>)[c]} /></td>)}</tr>
            ))}
          </tbody>
        </table>
      );
    }
    return <span>{value.map(String).join(", ")}</span>;
  }
  if (typeof value === "object" && value !== null) {
    return (
      <dl>
        {Object.entries(value).map(([k, v]) => (
          <div key={k}><dt>{k}</dt><dd><KeyValues value={v} /></dd></div>
        ))}
      </dl>
    );
  }
  if (value === null || value === undefined) return <span className="muted">—</span>;
  return <span>{String(value)}</span>;
}
