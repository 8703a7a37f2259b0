import { existsSync } from "node:fs";
import { crc32, deflateSync } from "node:zlib";
import { type Font, openSync } from "fontkit";

/**
 * Test helper: renders lines of text into a real grayscale PNG, offline, from a TrueType font's
 * glyph outlines (fontkit, installed with pdfkit): outlines are flattened to polygons, filled with
 * the non-zero rule at 4×4 supersampling, and written as PNG with node's zlib. It gives the OCR
 * tests an actual image of text rather than a fixture file.
 */

const FONT_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/** A TrueType font present on the machine (Debian: fonts-dejavu-core, which fontconfig pulls in). */
export function findSystemFont(): string | undefined {
  return FONT_CANDIDATES.find((path) => existsSync(path));
}

interface Edge {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

const CURVE_STEPS = 12;
const SUPERSAMPLE = 4;

function glyphEdges(font: Font, text: string, originX: number, baselineY: number, scale: number): Edge[] {
  const edges: Edge[] = [];
  const run = font.layout(text);
  let penX = originX;
  run.glyphs.forEach((glyph, i) => {
    const position = run.positions[i];
    const toX = (x: number) => penX + (position.xOffset + x) * scale;
    const toY = (y: number) => baselineY - (position.yOffset + y) * scale;
    let start: [number, number] = [0, 0];
    let current: [number, number] = [0, 0];
    const lineTo = (x: number, y: number) => {
      edges.push({ x0: toX(current[0]), y0: toY(current[1]), x1: toX(x), y1: toY(y) });
      current = [x, y];
    };
    for (const { command, args } of glyph.path.commands) {
      if (command === "moveTo") {
        if (current[0] !== start[0] || current[1] !== start[1]) lineTo(start[0], start[1]);
        start = [args[0], args[1]];
        current = [args[0], args[1]];
      } else if (command === "lineTo") {
        lineTo(args[0], args[1]);
      } else if (command === "quadraticCurveTo") {
        const [cx, cy, x, y] = args;
        const [sx, sy] = current;
        for (let s = 1; s <= CURVE_STEPS; s++) {
          const t = s / CURVE_STEPS;
          const u = 1 - t;
          lineTo(u * u * sx + 2 * u * t * cx + t * t * x, u * u * sy + 2 * u * t * cy + t * t * y);
        }
      } else if (command === "bezierCurveTo") {
        const [c1x, c1y, c2x, c2y, x, y] = args;
        const [sx, sy] = current;
        for (let s = 1; s <= CURVE_STEPS; s++) {
          const t = s / CURVE_STEPS;
          const u = 1 - t;
          lineTo(
            u * u * u * sx + 3 * u * u * t * c1x + 3 * u * t * t * c2x + t * t * t * x,
            u * u * u * sy + 3 * u * u * t * c1y + 3 * u * t * t * c2y + t * t * t * y,
          );
        }
      } else if (command === "closePath") {
        lineTo(start[0], start[1]);
      }
    }
    if (current[0] !== start[0] || current[1] !== start[1]) lineTo(start[0], start[1]);
    penX += position.xAdvance * scale;
  });
  return edges;
}

/** Coverage (0..1) of each pixel by the polygons, non-zero winding, supersampled. */
function rasterize(edges: readonly Edge[], width: number, height: number): Float64Array {
  const coverage = new Float64Array(width * height);
  const edgesByRow: Edge[][] = Array.from({ length: height }, () => []);
  for (const e of edges) {
    const top = Math.max(0, Math.floor(Math.min(e.y0, e.y1)));
    const bottom = Math.min(height - 1, Math.floor(Math.max(e.y0, e.y1)));
    for (let row = top; row <= bottom; row++) edgesByRow[row].push(e);
  }
  for (let sub = 0; sub < height * SUPERSAMPLE; sub++) {
    const y = (sub + 0.5) / SUPERSAMPLE;
    const row = Math.floor(sub / SUPERSAMPLE);
    const crossings: { x: number; winding: number }[] = [];
    for (const e of edgesByRow[row]) {
      if ((e.y0 <= y && e.y1 > y) || (e.y1 <= y && e.y0 > y)) {
        crossings.push({ x: e.x0 + ((y - e.y0) / (e.y1 - e.y0)) * (e.x1 - e.x0), winding: e.y1 > e.y0 ? 1 : -1 });
      }
    }
    crossings.sort((a, b) => a.x - b.x);
    let winding = 0;
    for (let i = 0; i < crossings.length - 1; i++) {
      winding += crossings[i].winding;
      if (winding === 0) continue;
      const from = Math.max(0, crossings[i].x);
      const to = Math.min(width, crossings[i + 1].x);
      for (let px = Math.floor(from); px < Math.ceil(to); px++) {
        const overlap = Math.min(to, px + 1) - Math.max(from, px);
        if (overlap > 0) coverage[row * width + px] += overlap / SUPERSAMPLE;
      }
    }
  }
  return coverage;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

function encodeGrayscalePng(pixels: Uint8Array, width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // colour type: grayscale
  const scanlines = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    scanlines[y * (width + 1)] = 0; // filter: none
    scanlines.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(scanlines)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Black text on white, one line per entry, as PNG bytes. */
export function renderTextPng(lines: readonly string[], options: { fontPath: string; fontSizePx?: number; marginPx?: number }): Buffer {
  const font = openSync(options.fontPath);
  const size = options.fontSizePx ?? 32;
  const margin = options.marginPx ?? 24;
  const scale = size / font.unitsPerEm;
  const lineHeight = Math.ceil(size * 1.5);
  const widthOf = (text: string) => font.layout(text).positions.reduce((sum, p) => sum + p.xAdvance, 0) * scale;
  const width = Math.ceil(Math.max(...lines.map(widthOf)) + 2 * margin);
  const height = lineHeight * lines.length + 2 * margin;
  const edges = lines.flatMap((text, i) => glyphEdges(font, text, margin, margin + lineHeight * i + size, scale));
  const coverage = rasterize(edges, width, height);
  const pixels = Uint8Array.from(coverage, (c) => Math.round(255 * (1 - Math.min(1, c))));
  return encodeGrayscalePng(pixels, width, height);
}
