/**
 * Charts as inline SVG markup for the bench's HTML report. They are drawn here, once, so the page needs
 * no script, no font and nothing from the network; the page's style sheet colors them through the
 * class names. Every text that goes in is escaped.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML and SVG, as element content and in quoted attributes. */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

/** A coordinate, to a tenth of a pixel. */
const px = (v: number) => String(Math.round(v * 10) / 10);

function text(x: number, y: number, s: string, cls = '', anchor: 'start' | 'middle' | 'end' = 'start'): string {
  const a = anchor === 'start' ? '' : ` text-anchor="${anchor}"`;
  return `<text x="${px(x)}" y="${px(y)}"${cls ? ` class="${cls}"` : ''}${a}>${esc(s)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, cls: string): string {
  return `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" class="${cls}"/>`;
}

function svg(width: number, height: number, label: string, parts: string[]): string {
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${Math.ceil(height)}" width="${width}" height="${Math.ceil(height)}" ` +
    `role="img" aria-label="${esc(label)}">\n` +
    parts.filter((p) => p !== '').join('\n') +
    '\n</svg>'
  );
}

/** "Nice" ticks from 0 to at least `max`, about `count` steps of 1, 2, 2.5 or 5 x 10^k. */
export function linearTicks(max: number, count = 5): number[] {
  const top = max > 0 ? max : 1;
  const mag = 10 ** Math.floor(Math.log10(top / count));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => top / s <= count) ?? 10 * mag;
  const ticks: number[] = [0];
  while (ticks.at(-1)! < top) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

/** 1, 2, 5 x 10^k, from the one at or below `min` to the one at or above `max` (both > 0). */
export function logTicks(min: number, max: number): number[] {
  const all: number[] = [];
  for (let k = Math.floor(Math.log10(min)) - 1; k <= Math.ceil(Math.log10(max)) + 1; k++) {
    for (const m of [1, 2, 5]) all.push(Number((m * 10 ** k).toPrecision(6)));
  }
  const lo = all.filter((t) => t <= min).at(-1) ?? all[0]!;
  const hi = all.find((t) => t >= max) ?? all.at(-1)!;
  return all.filter((t) => t >= lo && t <= hi);
}

export interface LegendItem {
  label: string;
  color: string;
}

function legend(items: LegendItem[], x0: number, y: number): string {
  let x = x0;
  return items
    .map((it) => {
      const swatch = `<rect x="${px(x)}" y="${px(y - 10)}" width="12" height="12" rx="2" fill="${esc(it.color)}"/>`;
      const s = `${swatch}${text(x + 17, y, it.label, 'legend')}`;
      x += 34 + it.label.length * 6.6;
      return s;
    })
    .join('');
}

/** A vertical line across a plot, labelled at its top. */
export interface Mark {
  value: number;
  label: string;
}

/** about how wide a mark's label is drawn (12px, bold) */
const labelWidth = (m: Mark) => 6 + m.label.length * 7;

/**
 * The marks from left to right, the leftmost label in the top row, each label on the right of its line,
 * so that no label crosses another mark's line (on the left where it would leave the chart, which a
 * chart avoids by leaving room on its right: see markRoom).
 */
function marks(ms: Mark[], sx: (v: number) => number, top: number, bottom: number, right: number): string[] {
  return [...ms]
    .sort((a, b) => a.value - b.value)
    .map((m, i) => {
      const x = sx(m.value);
      const ly = top - 6 - (ms.length - 1 - i) * 15;
      const fits = x + labelWidth(m) <= right;
      const stroke = line(x, ly - 10, x, bottom, 'mark');
      const label = text(fits ? x + 4 : x - 4, ly, m.label, 'mark-label', fits ? 'start' : 'end');
      return `<g>${stroke}${label}</g>`;
    });
}

export interface Bar {
  label: string;
  value: number;
  /** the value as written at the end of the bar */
  text: string;
  color: string;
  /** the tooltip; label and text when not given */
  tip?: string;
}

export interface BarGroup {
  name?: string;
  bars: Bar[];
}

export interface HBarChart {
  title: string;
  /** the value axis' title, with its unit */
  axis: string;
  groups: BarGroup[];
  /** a tick's label */
  tick: (v: number) => string;
  legend?: LegendItem[];
  /** dashed vertical lines across the bars (a median) */
  marks?: Mark[];
  width?: number;
  /** room on the left for the bars' labels */
  labelWidth?: number;
}

function hbar(b: Bar, y: number, left: number, sx: (v: number) => number): string {
  const w = Math.max(b.value > 0 ? 1 : 0, sx(b.value) - left);
  const tip = esc(b.tip ?? `${b.label}: ${b.text}`);
  return (
    `<g class="bar"><title>${tip}</title>${text(left - 8, y + 16, b.label, '', 'end')}` +
    `<rect x="${px(left)}" y="${px(y + 4)}" width="${px(w)}" height="16" rx="2" fill="${esc(b.color)}"/>` +
    `${text(left + w + 6, y + 16, b.text, 'value')}</g>`
  );
}

/** Horizontal bars in named groups, on one linear scale from 0. */
export function hbarChart(c: HBarChart): string {
  const width = c.width ?? 720;
  const left = c.labelWidth ?? 210;
  const right = 90;
  const ms = c.marks ?? [];
  const top = 34 + (c.legend ? 22 : 0) + ms.length * 15;
  const values = [...c.groups.flatMap((g) => g.bars.map((b) => b.value)), ...ms.map((m) => m.value)];
  const ticks = linearTicks(Math.max(0, ...values));
  const sx = (v: number) => left + (v / ticks.at(-1)!) * (width - left - right);
  const rows: string[] = [];
  let y = top;
  for (const g of c.groups) {
    if (g.name) {
      rows.push(text(12, y + 16, g.name, 'group'));
      y += 22;
    }
    for (const b of g.bars) {
      rows.push(hbar(b, y, left, sx));
      y += 24;
    }
  }
  const bottom = y + 4;
  const grid = ticks.map(
    (t) => line(sx(t), top, sx(t), bottom, 'grid') + text(sx(t), bottom + 16, c.tick(t), 'tick', 'middle'),
  );
  return svg(width, bottom + 46, c.title, [
    text(12, 20, c.title, 'title'),
    c.legend ? legend(c.legend, 12, 44) : '',
    ...grid,
    line(left, top, left, bottom, 'axis'),
    ...marks(ms, sx, top, bottom, width - 8),
    ...rows,
    text((left + width - right) / 2, bottom + 38, c.axis, 'axis-title', 'middle'),
  ]);
}

export interface LogXChart {
  title: string;
  /** the axes' titles, with their units */
  xAxis: string;
  yAxis: string;
  /** the data's extent on x (> 0); the axis is widened to 1, 2, 5 x 10^k */
  xMin: number;
  xMax: number;
  xTick: (v: number) => string;
  yTicks: number[];
  yTick: (v: number) => string;
  marks?: Mark[];
  /** the data, drawn with the axes' scales */
  draw: (sx: (v: number) => number, sy: (v: number) => number) => string;
  width?: number;
  height?: number;
}

/** A plot with a logarithmic x axis and a linear y axis, with grid, ticks, axis titles and marks. */
export function logXChart(c: LogXChart): string {
  const width = c.width ?? 560;
  const height = c.height ?? 320;
  const ms = c.marks ?? [];
  const xt = logTicks(c.xMin, c.xMax);
  const [lo, hi] = [xt[0]!, xt.at(-1)!];
  // room on the right for the marks' labels: each fits on the right of its line
  const at = (v: number) => Math.log(v / lo) / Math.log(hi / lo);
  const room = (mk: Mark) => (at(mk.value) > 0 ? width - 62 - (width - 67 - labelWidth(mk)) / at(mk.value) : 0);
  const m = { left: 62, right: Math.max(24, ...ms.map(room)), top: 40 + ms.length * 15, bottom: 56 };
  const sx = (v: number) => m.left + (Math.log(v / lo) / Math.log(hi / lo)) * (width - m.left - m.right);
  const yTop = c.yTicks.at(-1)!;
  const sy = (v: number) => height - m.bottom - (v / yTop) * (height - m.top - m.bottom);
  const bottom = height - m.bottom;
  const xGrid = xt.map(
    (t) => line(sx(t), m.top, sx(t), bottom, 'grid') + text(sx(t), bottom + 16, c.xTick(t), 'tick', 'middle'),
  );
  const yGrid = c.yTicks.map(
    (t) => line(m.left, sy(t), width - m.right, sy(t), 'grid') + text(m.left - 6, sy(t) + 4, c.yTick(t), 'tick', 'end'),
  );
  const yTitleY = (m.top + bottom) / 2;
  return svg(width, height, c.title, [
    text(12, 20, c.title, 'title'),
    ...xGrid,
    ...yGrid,
    line(m.left, bottom, width - m.right, bottom, 'axis'),
    line(m.left, m.top, m.left, bottom, 'axis'),
    c.draw(sx, sy),
    ...marks(ms, sx, m.top, bottom, width - 4),
    text((m.left + width - m.right) / 2, height - 14, c.xAxis, 'axis-title', 'middle'),
    `<text x="16" y="${px(yTitleY)}" class="axis-title" text-anchor="middle" ` +
      `transform="rotate(-90 16 ${px(yTitleY)})">${esc(c.yAxis)}</text>`,
  ]);
}
