// render_charts: draw the ml_pipeline's statistics and metrics as SVG files
// (an ES module, no dependencies).
//
// Event:
//   {"title": "random_forest on iris (run 42)",     optional, printed on every chart
//    "stats": describe_stats' result,                for histogram and correlation
//    "metrics": train_model's metrics,               for confusion_matrix
//    "charts": ["histogram", "correlation", "confusion_matrix"],
//    "outputDir": "file:///tmp/run-1/charts"}        required, file:// URI or path
//
// Result:
//   {"title": ..., "files": ["<outputDir>/histogram.svg", ...], "bytes": total size}
//
// Errors: Charts.UnknownChart (a name not listed above), Charts.MissingData (the
// stats or metrics a chart needs are absent), Charts.BadRequest (no outputDir).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

class ChartError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name; // the ASL error name the engine reports
  }
}

const CHARTS = {
  histogram: (event) => histograms(need(event.stats?.columns, 'stats.columns')),
  correlation: (event) => correlation(need(event.stats?.correlation, 'stats.correlation')),
  confusion_matrix: (event) =>
    confusionMatrix(need(event.metrics?.confusionMatrix, 'metrics.confusionMatrix')),
};

export const handler = async (event) => {
  const { outputDir, charts = Object.keys(CHARTS), title = '' } = event;
  if (typeof outputDir !== 'string' || !outputDir) {
    throw new ChartError('Charts.BadRequest', 'outputDir must be a file:// URI or a path');
  }
  const directory = outputDir.startsWith('file:') ? fileURLToPath(outputDir) : outputDir;
  await mkdir(directory, { recursive: true });

  const files = [];
  let bytes = 0;
  for (const chart of charts) {
    const draw = CHARTS[chart];
    if (!draw) {
      throw new ChartError('Charts.UnknownChart',
        `no chart named ${JSON.stringify(chart)}; known: ${Object.keys(CHARTS).join(', ')}`);
    }
    const { width, height, body } = draw(event);
    const svg = document(width, height + 30, title, body);
    await writeFile(join(directory, `${chart}.svg`), svg);
    files.push(`${outputDir.replace(/\/+$/, '')}/${chart}.svg`);
    bytes += Buffer.byteLength(svg);
  }
  return { title, files, bytes };
};

function need(value, what) {
  if (value === undefined || value === null) {
    throw new ChartError('Charts.MissingData', `the chart needs ${what}`);
  }
  return value;
}

// One small bar chart per column, three to a row.
function histograms(columns) {
  const names = Object.keys(columns);
  const panelWidth = 240;
  const panelHeight = 160;
  const perRow = 3;
  let body = '';
  names.forEach((name, index) => {
    const { edges, counts } = need(columns[name].histogram, `stats.columns.${name}.histogram`);
    const x0 = (index % perRow) * panelWidth + 20;
    const y0 = Math.floor(index / perRow) * panelHeight + 30;
    const plotWidth = panelWidth - 40;
    const plotHeight = panelHeight - 60;
    const tallest = Math.max(1, ...counts);
    const barWidth = plotWidth / counts.length;
    body += text(x0, y0 + 12, name, 'start', 12, 'bold');
    counts.forEach((count, i) => {
      const barHeight = (count / tallest) * plotHeight;
      body += rect(x0 + i * barWidth, y0 + 20 + plotHeight - barHeight, barWidth - 1, barHeight,
        '#4878a8', `${edges[i]}–${edges[i + 1]}: ${count}`);
    });
    const baseline = y0 + 20 + plotHeight;
    body += `<line x1="${x0}" y1="${baseline}" x2="${x0 + plotWidth}" y2="${baseline}" ` +
      'stroke="#333"/>';
    body += text(x0, baseline + 14, String(edges[0]), 'start', 10);
    body += text(x0 + plotWidth, baseline + 14, String(edges[edges.length - 1]), 'end', 10);
    body += text(x0 + plotWidth, y0 + 12, `max ${tallest}`, 'end', 10);
  });
  const rows = Math.ceil(names.length / perRow);
  return { width: perRow * panelWidth + 20, height: rows * panelHeight + 20, body };
}

// A heat map of Pearson correlations: red for +1, white for 0, blue for -1.
function correlation({ columns, matrix }) {
  const cell = 64;
  const left = 110;
  const top = 120;
  let body = '';
  columns.forEach((name, i) => {
    body += text(left - 6, top + i * cell + cell / 2 + 4, name, 'end', 11);
    body += `<text x="${left + i * cell + cell / 2}" y="${top - 8}" font-size="11" ` +
      `text-anchor="start" transform="rotate(-45 ${left + i * cell + cell / 2} ${top - 8})">` +
      `${escape(name)}</text>`;
    columns.forEach((_, j) => {
      const r = matrix[i][j];
      body += rect(left + j * cell, top + i * cell, cell, cell, diverging(r));
      body += text(left + j * cell + cell / 2, top + i * cell + cell / 2 + 4, r.toFixed(2),
        'middle', 11);
    });
  });
  const size = columns.length * cell + 20;
  return { width: left + size, height: top + size, body };
}

// Counts of (actual, predicted) class pairs; each row shaded by its share of the row.
function confusionMatrix({ labels, matrix }) {
  const cell = 70;
  const left = 120;
  const top = 60;
  let body = text(left + (labels.length * cell) / 2, top - 34, 'predicted', 'middle', 12, 'bold');
  const middle = top + (labels.length * cell) / 2;
  body += `<text x="20" y="${middle}" text-anchor="middle" font-size="12" font-weight="bold" ` +
    `transform="rotate(-90 20 ${middle})">actual</text>`;
  labels.forEach((label, i) => {
    body += text(left + i * cell + cell / 2, top - 10, label, 'middle', 11);
    body += text(left - 6, top + i * cell + cell / 2 + 4, label, 'end', 11);
    const total = matrix[i].reduce((a, b) => a + b, 0) || 1;
    labels.forEach((_, j) => {
      const share = matrix[i][j] / total;
      const fill = `rgb(${shade(share, 255, 72)},${shade(share, 255, 120)},` +
        `${shade(share, 255, 168)})`;
      body += rect(left + j * cell, top + i * cell, cell, cell, fill);
      body += text(left + j * cell + cell / 2, top + i * cell + cell / 2 + 5, String(matrix[i][j]),
        'middle', 14, 'normal', share > 0.5 ? '#fff' : '#000');
    });
  });
  return { width: left + labels.length * cell + 20, height: top + labels.length * cell + 20, body };
}

function document(width, height, title, body) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif">\n` +
    '<rect width="100%" height="100%" fill="#fff"/>\n' +
    `${text(10, 20, title, 'start', 14, 'bold')}\n` +
    `<g transform="translate(0 30)">${body}</g>\n</svg>\n`;
}

// A rectangle with a white outline; `tooltip`, when given, shows on hover.
function rect(x, y, width, height, fill, tooltip) {
  const title = tooltip === undefined ? '' : `<title>${escape(tooltip)}</title>`;
  return `<rect x="${fixed(x)}" y="${fixed(y)}" width="${fixed(width)}" ` +
    `height="${fixed(height)}" fill="${fill}" stroke="#fff">${title}</rect>`;
}

function text(x, y, content, anchor, size, weight = 'normal', fill = '#000') {
  return `<text x="${fixed(x)}" y="${fixed(y)}" text-anchor="${anchor}" font-size="${size}" ` +
    `font-weight="${weight}" fill="${fill}">${escape(content)}</text>`;
}

function diverging(r) {
  const t = Math.max(-1, Math.min(1, r));
  return t >= 0
    ? `rgb(255,${shade(t, 255, 80)},${shade(t, 255, 80)})`
    : `rgb(${shade(-t, 255, 80)},${shade(-t, 255, 80)},255)`;
}

// The colour channel `share` of the way from `from` to `to`.
function shade(share, from, to) {
  return Math.round(from + (to - from) * share);
}

function fixed(n) {
  return Number(n.toFixed(2));
}

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

function escape(s) {
  return String(s).replace(/[&<>"]/g, (c) => ENTITIES[c]);
}
