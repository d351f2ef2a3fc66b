// The backtest report's charts, drawn by the chart component the dashboard uses, from the data the report carries
// (times in seconds since 1970 UTC).
"use strict";
(() => {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const ms = points => points.map(p => [p[0] * 1000, ...p.slice(1)]);
  const money = v => v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const price = KestrelChart.price;
  const DAY = 86400e3;

  const equity = ms(data.equity);
  let peak = -Infinity;
  const drawdown = equity.map(([t, v]) => { peak = Math.max(peak, v); return [t, peak > 0 ? -(peak - v) / peak * 100 : 0]; });
  const charts = [];

  function chart(id, spec) {
    const element = document.getElementById(id);
    const redraw = () => KestrelChart.draw(element, spec());
    charts.push(redraw);
    redraw();
  }

  chart("equity-chart", () => ({ height: 260, format: money,
    series: [{ name: "Equity", color: "#1d4ed8", kind: "line", points: equity }] }));
  chart("drawdown-chart", () => ({ height: 120, format: v => v.toFixed(1) + "%",
    series: [{ name: "Drawdown", color: "#d1495b", kind: "area", points: drawdown }] }));
  chart("daily-chart", () => ({ height: 180, format: money, empty: "No trade closed",
    series: [{ name: "PnL that day", kind: "bars", points: ms(data.daily_pnl) }] }));

  for (const symbol of data.prices) {
    const points = ms(symbol.points);
    const marks = symbol.marks.map(([t, v, kind, side, pnl]) => ({
      t: t * 1000, v, kind: kind === 0 ? "entry" : "exit", side: side === 0 ? "long" : "short",
      profit: kind === 0 ? undefined : pnl,
      label: kind === 0 ? `${side === 0 ? "long" : "short"} entry` : `exit, PnL ${money(pnl)}`,
    }));
    const end = points.length ? points[points.length - 1][0] : 0;
    let days = 30;
    const buttons = document.querySelectorAll(`[data-symbol="${symbol.symbol}"] button`);
    chart(`price-${symbol.symbol}`, () => {
      const from = days ? end - days * DAY : -Infinity;
      return { height: 280, format: price, empty: `No ${symbol.symbol} prices in the backtest`,
        series: [{ name: symbol.symbol, kind: "line", points: points.filter(p => p[0] >= from) }],
        marks: marks.filter(m => m.t >= from) };
    });
    const redraw = charts[charts.length - 1];
    for (const button of buttons) {
      button.addEventListener("click", () => {
        days = Number(button.dataset.days);
        for (const other of buttons) other.setAttribute("aria-pressed", String(other === button));
        redraw();
      });
    }
  }
  let resizing = null;
  window.addEventListener("resize", () => { clearTimeout(resizing); resizing = setTimeout(() => charts.forEach(c => c()), 200); });
})();
