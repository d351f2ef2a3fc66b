// Kestrel's chart: one SVG component for the dashboard and the backtest report. Time runs along the bottom axis
// (dates and times in UTC), values up the left one, with gridlines at round numbers; hovering shows the values
// under the pointer. No library and no network: the page and the report work offline.
//
//   KestrelChart.draw(element, {
//     height: 240,                                   // pixels; the width is the element's
//     format: v => v.toFixed(2),                     // how values are written (axis and hover)
//     series: [{ name, color, kind, points }],       // kind: line | area | bars | candles
//                                                    // points: [[t, v]] (t in ms since 1970 UTC),
//                                                    // candles: [[t, open, high, low, close]]
//     marks: [{ t, v, kind: "entry" | "exit", side: "long" | "short", label }],
//     levels: [{ v, label, color }],                 // horizontal lines (a live stop)
//     empty: "No data yet",
//   })
"use strict";
const KestrelChart = (() => {
  const SVG = "http://www.w3.org/2000/svg";
  const MINUTE = 60e3, HOUR = 60 * MINUTE, DAY = 24 * HOUR;
  const TIME_STEPS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY,
    2 * DAY, 7 * DAY, 14 * DAY];
  const MONTH_STEPS = [1, 2, 3, 6, 12, 24];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const MARGIN = { left: 66, right: 14, top: 10, bottom: 24 };

  function node(name, attributes, parent) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes || {})) element.setAttribute(key, value);
    if (parent) parent.appendChild(element);
    return element;
  }

  function text(content, attributes, parent) {
    const element = node("text", attributes, parent);
    element.textContent = content;
    return element;
  }

  // A round step (1, 2 or 5 times a power of ten) giving about `count` ticks over `span`.
  function roundStep(span, count) {
    const raw = span / Math.max(count, 1);
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const leading = raw / magnitude;
    return (leading <= 1 ? 1 : leading <= 2 ? 2 : leading <= 5 ? 5 : 10) * magnitude;
  }

  function valueTicks(low, high, count) {
    const step = roundStep(high - low, count);
    const ticks = [];
    for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return ticks;
  }

  // Ticks at round times (whole minutes, hours, days, months), UTC, about `count` of them.
  function timeTicks(start, end, count) {
    const span = end - start;
    const step = TIME_STEPS.find(s => span / s <= count);
    const ticks = [];
    if (step) {
      for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
      return { ticks, step };
    }
    const months = MONTH_STEPS.find(m => span / (m * 30.44 * DAY) <= count) || 60;
    const first = new Date(start);
    let year = first.getUTCFullYear(), month = first.getUTCMonth() + 1;
    month = Math.ceil(month / months) * months;
    for (;;) {
      const t = Date.UTC(year + Math.floor(month / 12), month % 12, 1);
      if (t > end) break;
      if (t >= start) ticks.push(t);
      month += months;
    }
    return { ticks, step: months * 30 * DAY };
  }

  function two(n) { return String(n).padStart(2, "0"); }

  function timeLabel(t, step) {
    const d = new Date(t);
    const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
    if (step < DAY) {
      const clock = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
      return d.getUTCHours() === 0 && d.getUTCMinutes() === 0 ? day : clock;
    }
    if (step < 28 * DAY) return day;
    return d.getUTCMonth() === 0 ? String(d.getUTCFullYear()) : `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  }

  function hoverTime(t) {
    const d = new Date(t);
    return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
      `${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
  }

  // A price as the page and the report write it: a tenth above 1000, up to four decimals above 1, five significant
  // digits below, with no trailing zeros.
  function price(v) {
    const size = Math.abs(v);
    if (size >= 1000) return v.toFixed(1);
    if (size >= 1) return String(Number(v.toFixed(4)));
    return String(Number(v.toPrecision(5)));
  }

  function defaultFormat(v) {
    const size = Math.abs(v);
    if (size >= 1e6) return (v / 1e6).toFixed(2) + "M";
    if (size >= 1e4) return (v / 1e3).toFixed(1) + "k";
    if (size >= 100) return v.toFixed(0);
    if (size >= 1) return v.toFixed(2);
    return v.toPrecision(3);
  }

  // The index of the point nearest time `t` in points sorted by time.
  function nearest(points, t) {
    let low = 0, high = points.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (points[middle][0] < t) low = middle + 1; else high = middle;
    }
    if (low > 0 && t - points[low - 1][0] < points[low][0] - t) low -= 1;
    return low;
  }

  function extent(spec) {
    let start = Infinity, end = -Infinity, low = Infinity, high = -Infinity;
    for (const series of spec.series) {
      for (const p of series.points) {
        start = Math.min(start, p[0]); end = Math.max(end, p[0]);
        for (let i = 1; i < p.length; i++) { low = Math.min(low, p[i]); high = Math.max(high, p[i]); }
      }
      if (series.kind === "area" || series.kind === "bars") { low = Math.min(low, 0); high = Math.max(high, 0); }
    }
    // A mark after the last point (an entry in the candle still open) stretches the time axis to it.
    let last = end;
    for (const mark of spec.marks || []) {
      if (mark.t < start) continue;
      last = Math.max(last, mark.t);
      low = Math.min(low, mark.v); high = Math.max(high, mark.v);
    }
    end = last;
    for (const level of spec.levels || []) { low = Math.min(low, level.v); high = Math.max(high, level.v); }
    if (high === low) { high += Math.abs(high) * 0.01 || 1; low -= Math.abs(low) * 0.01 || 1; }
    const pad = (high - low) * 0.05;
    if (end === start) { end = start + HOUR; }
    return { start, end, low: low - pad, high: high + pad };
  }

  function draw(element, spec) {
    element.classList.add("kc");
    element.textContent = "";
    const width = Math.max(element.clientWidth || 0, 320);
    const height = spec.height || 240;
    const format = spec.format || defaultFormat;
    const svg = node("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" }, element);
    const hasData = spec.series.some(s => s.points.length > 0);
    if (!hasData) {
      text(spec.empty || "No data yet", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "kc-empty" }, svg);
      return;
    }
    const box = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right,
      h: height - MARGIN.top - MARGIN.bottom };
    const range = extent(spec);
    const x = t => box.x + (t - range.start) / (range.end - range.start) * box.w;
    const y = v => box.y + (range.high - v) / (range.high - range.low) * box.h;

    const grid = node("g", { class: "kc-grid" }, svg);
    for (const v of valueTicks(range.low, range.high, Math.max(2, Math.floor(box.h / 45)))) {
      node("line", { x1: box.x, x2: box.x + box.w, y1: y(v), y2: y(v) }, grid);
      text(format(v), { x: box.x - 6, y: y(v) + 4, "text-anchor": "end", class: "kc-label" }, svg);
    }
    const time = timeTicks(range.start, range.end, Math.max(2, Math.floor(box.w / 90)));
    for (const t of time.ticks) {
      node("line", { x1: x(t), x2: x(t), y1: box.y, y2: box.y + box.h }, grid);
      text(timeLabel(t, time.step), { x: x(t), y: height - 6, "text-anchor": "middle", class: "kc-label" }, svg);
    }
    node("rect", { x: box.x, y: box.y, width: box.w, height: box.h, class: "kc-frame" }, svg);

    const plot = node("g", {}, svg);
    for (const series of spec.series) drawSeries(plot, series, x, y, box);
    for (const level of spec.levels || []) {
      node("line", { x1: box.x, x2: box.x + box.w, y1: y(level.v), y2: y(level.v), class: "kc-level",
        stroke: level.color || "#d1495b" }, plot);
      text(`${level.label} ${format(level.v)}`, { x: box.x + box.w - 4, y: y(level.v) - 4, "text-anchor": "end",
        class: "kc-label", fill: level.color || "#d1495b" }, plot);
    }
    for (const mark of spec.marks || []) {
      if (mark.t < range.start || mark.t > range.end) continue;
      drawMark(plot, mark, x(mark.t), y(mark.v), format);
    }
    hover(element, svg, spec, box, x, y, range, format);
  }

  function drawSeries(plot, series, x, y, box) {
    const points = series.points;
    const color = series.color;
    if (series.kind === "candles") {
      const spacing = points.length > 1 ? (x(points[points.length - 1][0]) - x(points[0][0])) / (points.length - 1) : 8;
      const body = Math.max(1, spacing * 0.7);
      for (const [t, open, high, low, close] of points) {
        const rising = close >= open;
        const cls = rising ? "kc-up" : "kc-down";
        node("line", { x1: x(t), x2: x(t), y1: y(high), y2: y(low), class: cls }, plot);
        node("rect", { x: x(t) - body / 2, y: y(Math.max(open, close)), width: body,
          height: Math.max(1, Math.abs(y(open) - y(close))), class: cls }, plot);
      }
      return;
    }
    if (series.kind === "bars") {
      const width = Math.max(1, Math.min(6, box.w / Math.max(points.length, 1) * 0.8));
      const zero = y(0);
      for (const [t, v] of points) {
        node("rect", { x: x(t) - width / 2, y: Math.min(zero, y(v)), width, height: Math.max(0.5, Math.abs(y(v) - zero)),
          class: v >= 0 ? "kc-up" : "kc-down" }, plot);
      }
      return;
    }
    const line = points.map(p => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
    if (series.kind === "area") {
      const zero = y(0).toFixed(1);
      const first = x(points[0][0]).toFixed(1), last = x(points[points.length - 1][0]).toFixed(1);
      node("polygon", { points: `${first},${zero} ${line} ${last},${zero}`, fill: color || "#6b7684",
        "fill-opacity": 0.25, stroke: "none" }, plot);
    }
    // Without a colour of its own, a line takes the text's (dark on light, light on dark).
    const stroke = color ? { stroke: color, class: "kc-line" } : { class: "kc-line kc-ink" };
    node("polyline", { points: line, fill: "none", "stroke-width": 1.5, "stroke-linejoin": "round", ...stroke }, plot);
  }

  // An entry is a triangle pointing the way of the trade; an exit is a circle, green at a profit, red at a loss.
  function drawMark(plot, mark, px, py, format) {
    let shape;
    if (mark.kind === "entry") {
      const up = mark.side !== "short";
      const d = up ? `M${px},${py - 7} l6,10 h-12 z` : `M${px},${py + 7} l6,-10 h-12 z`;
      shape = node("path", { d, class: `kc-mark kc-entry ${up ? "kc-long" : "kc-short"}` }, plot);
    } else {
      const cls = mark.profit === undefined ? "" : mark.profit >= 0 ? "kc-win" : "kc-loss";
      shape = node("circle", { cx: px, cy: py, r: 4.5, class: `kc-mark kc-exit ${cls}` }, plot);
    }
    const title = node("title", {}, shape);
    title.textContent = `${mark.label || mark.kind} at ${format(mark.v)}, ${hoverTime(mark.t)}`;
  }

  function hover(element, svg, spec, box, x, y, range, format) {
    const line = node("line", { y1: box.y, y2: box.y + box.h, class: "kc-cross", visibility: "hidden" }, svg);
    const tip = document.createElement("div");
    tip.className = "kc-tip";
    tip.hidden = true;
    element.appendChild(tip);
    const reference = spec.series.find(s => s.points.length > 0);
    svg.addEventListener("mousemove", event => {
      const bounds = svg.getBoundingClientRect();
      const px = event.clientX - bounds.left;
      if (px < box.x || px > box.x + box.w) { line.setAttribute("visibility", "hidden"); tip.hidden = true; return; }
      const t = range.start + (px - box.x) / box.w * (range.end - range.start);
      const point = reference.points[nearest(reference.points, t)];
      line.setAttribute("x1", x(point[0])); line.setAttribute("x2", x(point[0]));
      line.setAttribute("visibility", "visible");
      const rows = [hoverTime(point[0])];
      for (const series of spec.series) {
        if (series.points.length === 0) continue;
        const p = series.points[nearest(series.points, point[0])];
        rows.push(series.kind === "candles"
          ? `O ${format(p[1])}  H ${format(p[2])}  L ${format(p[3])}  C ${format(p[4])}`
          : `${series.name}: ${(series.hover || format)(p[1])}`);
      }
      tip.textContent = rows.join("\n");
      tip.hidden = false;
      const left = x(point[0]) + 12;
      tip.style.left = `${left + tip.offsetWidth > box.x + box.w ? x(point[0]) - tip.offsetWidth - 12 : left}px`;
      tip.style.top = `${box.y + 4}px`;
    });
    svg.addEventListener("mouseleave", () => { line.setAttribute("visibility", "hidden"); tip.hidden = true; });
  }

  return { draw, price, roundStep, timeTicks, timeLabel };
})();
