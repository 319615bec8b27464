/**
 * Vector charts drawn with pdfkit's path API (lines, filled polygons, rectangles; no images): a line
 * chart of several series, an area chart (drawdown), a bar chart with positive and negative bars (gains
 * by month) and horizontal bars (allocation). Axis labels are text. Long series are thinned to at most
 * MAX_POINTS evenly spaced points (the first and last always kept), which a chart a page wide cannot
 * show apart anyway.
 */
import { COLORS, CONTENT_WIDTH, FONT_BOLD, FONT_REGULAR, MARGIN, type TPdf } from './pdf-document.ts';

const MAX_POINTS = 500;
const AXIS_WIDTH = 52;

/** Round tick values covering [min, max]: steps of 1, 2 or 5 × 10^n. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (min === max) {
    const pad = Math.abs(min) || 1;
    min -= pad / 2;
    max += pad / 2;
  }
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  // Multiples of the step, rounded to its decimals (no accumulated float error).
  const places = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const ticks: number[] = [];
  for (let k = Math.floor(min / step); ; k += 1) {
    const tick = Number((k * step).toFixed(places)) || 0;
    ticks.push(tick);
    if (tick >= max - step * 1e-9) break;
  }
  return ticks;
}

/** Indexes of at most `max` evenly spaced points, first and last included. */
export function thin(length: number, max = MAX_POINTS): number[] {
  if (length <= max) return Array.from({ length }, (_, index) => index);
  const step = (length - 1) / (max - 1);
  return Array.from({ length: max }, (_, index) => Math.round(index * step));
}

type TFrame = { x: number; y: number; width: number; height: number; scaleY: (value: number) => number };

/** The chart's title, y grid and labels; returns the plot area and its y scale. */
function frame(
  pdf: TPdf,
  options: { title: string; height: number; min: number; max: number; format: (value: number, step: number) => string },
): TFrame {
  const { doc } = pdf;
  pdf.ensureSpace(options.height + 40);
  doc.font(FONT_BOLD).fontSize(9.5).fillColor(COLORS.text).text(options.title, MARGIN.left, doc.y);
  doc.moveDown(0.3);
  const ticks = niceTicks(options.min, options.max);
  const low = ticks[0]!;
  const high = ticks.at(-1)!;
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  const area = {
    x: MARGIN.left + AXIS_WIDTH,
    y: doc.y + 4,
    width: CONTENT_WIDTH - AXIS_WIDTH,
    height: options.height,
  };
  const scaleY = (value: number) => area.y + area.height - ((value - low) / (high - low || 1)) * area.height;
  doc.lineWidth(0.4);
  for (const tick of ticks) {
    const y = scaleY(tick);
    doc.moveTo(area.x, y).lineTo(area.x + area.width, y).stroke(tick === 0 ? COLORS.muted : COLORS.rule);
    doc.font(FONT_REGULAR).fontSize(6.5).fillColor(COLORS.muted);
    doc.text(options.format(tick, step), MARGIN.left, y - 3.5, { width: AXIS_WIDTH - 6, align: 'right', lineBreak: false });
  }
  return { ...area, scaleY };
}

/** Date labels under the plot: the first, the middle and the last. */
function dateAxis(pdf: TPdf, area: TFrame, dates: readonly string[]) {
  const { doc } = pdf;
  doc.font(FONT_REGULAR).fontSize(6.5).fillColor(COLORS.muted);
  const y = area.y + area.height + 3;
  if (dates.length) {
    doc.text(dates[0]!, area.x, y, { width: 80, lineBreak: false });
    doc.text(dates[Math.floor((dates.length - 1) / 2)]!, area.x + area.width / 2 - 40, y, {
      width: 80,
      align: 'center',
      lineBreak: false,
    });
    doc.text(dates.at(-1)!, area.x + area.width - 80, y, { width: 80, align: 'right', lineBreak: false });
  }
  doc.x = MARGIN.left;
  doc.y = y + 12;
}

function legend(pdf: TPdf, items: readonly { label: string; color: string }[]) {
  const { doc } = pdf;
  let x = MARGIN.left + AXIS_WIDTH;
  const y = doc.y;
  doc.font(FONT_REGULAR).fontSize(7).fillColor(COLORS.text);
  for (const item of items) {
    doc.rect(x, y + 2, 10, 3).fill(item.color);
    doc.fillColor(COLORS.text).text(item.label, x + 14, y, { lineBreak: false });
    x += 24 + doc.widthOfString(item.label);
  }
  doc.x = MARGIN.left;
  doc.y = y + 14;
}

/** Lines of several series over the same dates. */
export function lineChart(
  pdf: TPdf,
  options: {
    title: string;
    height: number;
    dates: readonly string[];
    series: readonly { label: string; color: string; values: readonly number[] }[];
    format: (value: number, step: number) => string;
  },
) {
  const { doc } = pdf;
  const all = options.series.flatMap((series) => series.values).filter(Number.isFinite);
  const area = frame(pdf, {
    ...options,
    min: all.length ? Math.min(...all) : 0,
    max: all.length ? Math.max(...all) : 1,
  });
  const indexes = thin(options.dates.length);
  const scaleX = (index: number) => area.x + (options.dates.length > 1 ? (index / (options.dates.length - 1)) * area.width : 0);
  for (const series of options.series) {
    const points = indexes.filter((index) => Number.isFinite(series.values[index]));
    if (!points.length) continue;
    doc.moveTo(scaleX(points[0]!), area.scaleY(series.values[points[0]!]!));
    for (const index of points.slice(1)) doc.lineTo(scaleX(index), area.scaleY(series.values[index]!));
    doc.lineWidth(1).lineJoin('round').stroke(series.color);
  }
  dateAxis(pdf, area, options.dates);
  legend(pdf, options.series);
}

/** A filled area between zero and the values (≤ 0 for a drawdown). */
export function areaChart(
  pdf: TPdf,
  options: {
    title: string;
    height: number;
    dates: readonly string[];
    values: readonly number[];
    color: string;
    format: (value: number, step: number) => string;
  },
) {
  const { doc } = pdf;
  const values = options.values.filter(Number.isFinite);
  const area = frame(pdf, {
    ...options,
    min: Math.min(0, ...values),
    max: Math.max(0, ...values),
  });
  const indexes = thin(options.values.length);
  const scaleX = (index: number) =>
    area.x + (options.values.length > 1 ? (index / (options.values.length - 1)) * area.width : 0);
  if (indexes.length) {
    const zero = area.scaleY(0);
    doc.moveTo(scaleX(indexes[0]!), zero);
    for (const index of indexes) doc.lineTo(scaleX(index), area.scaleY(options.values[index] ?? 0));
    doc.lineTo(scaleX(indexes.at(-1)!), zero).closePath();
    doc.fillOpacity(0.35).fill(options.color).fillOpacity(1);
    doc.moveTo(scaleX(indexes[0]!), area.scaleY(options.values[indexes[0]!] ?? 0));
    for (const index of indexes.slice(1)) doc.lineTo(scaleX(index), area.scaleY(options.values[index] ?? 0));
    doc.lineWidth(0.8).stroke(options.color);
  }
  dateAxis(pdf, area, options.dates);
}

/** Vertical bars from zero, green above and red below, with category labels (every n-th when many). */
export function barChart(
  pdf: TPdf,
  options: {
    title: string;
    height: number;
    labels: readonly string[];
    values: readonly number[];
    format: (value: number, step: number) => string;
  },
) {
  const { doc } = pdf;
  const area = frame(pdf, {
    ...options,
    min: Math.min(0, ...options.values),
    max: Math.max(0, ...options.values),
  });
  const count = options.values.length;
  const slot = area.width / Math.max(count, 1);
  const zero = area.scaleY(0);
  options.values.forEach((value, index) => {
    const top = area.scaleY(value);
    const x = area.x + index * slot + slot * 0.15;
    doc.rect(x, Math.min(top, zero), slot * 0.7, Math.max(Math.abs(zero - top), 0.3)).fill(
      value >= 0 ? COLORS.gain : COLORS.loss,
    );
  });
  const every = Math.max(1, Math.ceil(count / 12));
  doc.font(FONT_REGULAR).fontSize(6.5).fillColor(COLORS.muted);
  const y = area.y + area.height + 3;
  options.labels.forEach((label, index) => {
    if (index % every === 0)
      doc.text(label, area.x + index * slot - 10, y, { width: slot + 20, align: 'center', lineBreak: false });
  });
  doc.x = MARGIN.left;
  doc.y = y + 14;
}

/** Horizontal bars of weights (0–1), each labelled with its name and its text. */
export function horizontalBars(
  pdf: TPdf,
  options: { title: string; items: readonly { label: string; weight: number; text: string }[]; color: string },
) {
  const { doc } = pdf;
  const barHeight = 9;
  const gap = 4;
  pdf.ensureSpace(options.items.length * (barHeight + gap) + 30);
  doc.font(FONT_BOLD).fontSize(9.5).fillColor(COLORS.text).text(options.title, MARGIN.left, doc.y);
  doc.moveDown(0.3);
  const labelWidth = 60;
  const textWidth = 130;
  const barWidth = CONTENT_WIDTH - labelWidth - textWidth;
  let y = doc.y + 2;
  for (const item of options.items) {
    doc.font(FONT_REGULAR).fontSize(7.5).fillColor(COLORS.text);
    doc.text(item.label, MARGIN.left, y + 1, { width: labelWidth - 4, lineBreak: false, ellipsis: true });
    doc.rect(MARGIN.left + labelWidth, y, barWidth, barHeight).fill(COLORS.band);
    const width = Math.max(0, Math.min(1, item.weight)) * barWidth;
    if (width > 0) doc.rect(MARGIN.left + labelWidth, y, width, barHeight).fill(options.color);
    doc.fillColor(COLORS.text).text(item.text, MARGIN.left + labelWidth + barWidth + 4, y + 1, {
      width: textWidth - 4,
      align: 'right',
      lineBreak: false,
    });
    y += barHeight + gap;
  }
  doc.x = MARGIN.left;
  doc.y = y + 6;
}

/** Decimals that tell ticks `step` apart: 0 for steps of 1 or more, 1 for 0.5, 2 for 0.05... */
export const tickPlaces = (step: number): number => Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
