// Small SVG charts (training curves, confusion matrix, predicted vs actual) rendered to PNG by
// sharp, so a run's pictures need no browser and no plotting dependency.
import sharp from 'sharp';

const W = 640;
const H = 420;
const M = { left: 70, right: 20, top: 40, bottom: 55 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];
const FONT = 'font-family="DejaVu Sans, sans-serif"';

function esc(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

function ticks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const step0 = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = ([1, 2, 5, 10].find((s) => s * mag >= step0) ?? 10) * mag;
  const out: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
    out.push(Number(t.toPrecision(12)));
  return out;
}

function frame(title: string, xLabel: string, yLabel: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="24" text-anchor="middle" ${FONT} font-size="16" font-weight="bold">${esc(title)}</text>
<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle" ${FONT} font-size="13">${esc(xLabel)}</text>
<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle" ${FONT} font-size="13">${esc(yLabel)}</text>
${body}</svg>`;
}

interface Scale {
  min: number;
  max: number;
  to: (v: number) => number;
}

function scale(values: number[], from: number, to: number): Scale {
  // A loop, not Math.min(...values): a long training curve would exceed the argument limit.
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) [min, max] = [0, 1];
  if (max === min) [min, max] = [min - 0.5, max + 0.5];
  return { min, max, to: (v) => from + ((v - min) / (max - min)) * (to - from) };
}

function axes(x: Scale, y: Scale): string {
  const parts: string[] = [];
  for (const t of ticks(x.min, x.max)) {
    const px = x.to(t).toFixed(1);
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/><text x="${px}" y="${H - M.bottom + 16}" text-anchor="middle" ${FONT} font-size="11">${fmt(t)}</text>`,
    );
  }
  for (const t of ticks(y.min, y.max)) {
    const py = y.to(t).toFixed(1);
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py}" y2="${py}" stroke="#eee"/><text x="${M.left - 6}" y="${py}" dy="4" text-anchor="end" ${FONT} font-size="11">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#444"/>`,
  );
  return parts.join('\n');
}

export interface Series {
  name: string;
  points: [number, number][];
}

export function lineChartSvg(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const all = series.flatMap((s) => s.points);
  const x = scale(
    all.map((p) => p[0]),
    M.left,
    W - M.right,
  );
  const y = scale(all.map((p) => p[1]).filter(Number.isFinite), H - M.bottom, M.top);
  const lines = series.map((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points
      .filter((p) => Number.isFinite(p[1]))
      .map((p, j) => `${j ? 'L' : 'M'}${x.to(p[0]).toFixed(1)},${y.to(p[1]).toFixed(1)}`)
      .join('');
    const ly = M.top + 16 + i * 16;
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>
<line x1="${W - M.right - 130}" x2="${W - M.right - 110}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/><text x="${W - M.right - 104}" y="${ly}" ${FONT} font-size="12">${esc(s.name)}</text>`;
  });
  return frame(title, xLabel, yLabel, `${axes(x, y)}\n${lines.join('\n')}`);
}

export function scatterSvg(
  title: string,
  xLabel: string,
  yLabel: string,
  points: [number, number][],
): string {
  const values = points.flat();
  const x = scale(values, M.left, W - M.right);
  const y = scale(values, H - M.bottom, M.top);
  const step = Math.max(1, Math.ceil(points.length / 3000)); // enough dots to see the shape
  const dots: string[] = [];
  for (let i = 0; i < points.length; i += step) {
    const [a, b] = points[i] as [number, number];
    dots.push(
      `<circle cx="${x.to(a).toFixed(1)}" cy="${y.to(b).toFixed(1)}" r="2" fill="#1f77b4" fill-opacity="0.5"/>`,
    );
  }
  const diagonal = `<line x1="${x.to(x.min)}" y1="${y.to(x.min)}" x2="${x.to(x.max)}" y2="${y.to(x.max)}" stroke="#d62728" stroke-dasharray="4 3"/>`;
  return frame(title, xLabel, yLabel, `${axes(x, y)}\n${diagonal}\n${dots.join('\n')}`);
}

export function confusionMatrixSvg(labels: string[], matrix: number[][]): string {
  const k = labels.length;
  const cell = Math.max(14, Math.min(60, Math.floor(480 / Math.max(k, 1))));
  const left = 140;
  const top = 60;
  const size = cell * k;
  const width = left + size + 30;
  const height = top + size + 120;
  const max = Math.max(1, ...matrix.flat());
  const parts: string[] = [];
  for (let a = 0; a < k; a++)
    for (let p = 0; p < k; p++) {
      const v = (matrix[a] as number[])[p] as number;
      const shade = Math.round(255 - (v / max) * 200);
      parts.push(
        `<rect x="${left + p * cell}" y="${top + a * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#fff"/>`,
      );
      if (cell >= 22)
        parts.push(
          `<text x="${left + p * cell + cell / 2}" y="${top + a * cell + cell / 2 + 4}" text-anchor="middle" ${FONT} font-size="11" fill="${v / max > 0.6 ? 'white' : 'black'}">${v}</text>`,
        );
    }
  labels.forEach((l, i) => {
    const short = esc(l.length > 18 ? `${l.slice(0, 17)}…` : l);
    parts.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" ${FONT} font-size="11">${short}</text>`,
      `<text transform="translate(${left + i * cell + cell / 2 + 4} ${top + size + 6}) rotate(60)" ${FONT} font-size="11">${short}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<rect width="${width}" height="${height}" fill="white"/>
<text x="${width / 2}" y="24" text-anchor="middle" ${FONT} font-size="16" font-weight="bold">Confusion matrix (validation)</text>
<text x="${left + size / 2}" y="46" text-anchor="middle" ${FONT} font-size="12">predicted</text>
<text transform="translate(16 ${top + size / 2}) rotate(-90)" text-anchor="middle" ${FONT} font-size="12">actual</text>
${parts.join('\n')}</svg>`;
}

export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}
