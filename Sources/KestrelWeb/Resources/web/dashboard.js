// The dashboard: reads the API once, then follows the bot's event stream (/api/v1/events). Every number shown is
// the bot's own published value; the page computes nothing but ages (from the bot's clock, so a replay ticks at
// its own speed). The stream reconnects by itself when the bot restarts, and the page then reads everything again.
"use strict";
(() => {
  const $ = id => document.getElementById(id);
  const TOKEN_KEY = "kestrel.api-token";
  const state = { status: null, now: Date.now(), positions: [], opportunities: null, trades: [], symbols: [] };

  // MARK: Formatting

  function money(v) {
    return (v < 0 ? "−" : "") + Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function signed(v) { return (v > 0 ? "+" : "") + money(v); }
  function percent(fraction) { return (fraction * 100).toFixed(2) + "%"; }
  const price = KestrelChart.price;
  function age(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor(s % 3600 / 60)}m`;
    return `${Math.floor(s / 86400)}d ${Math.floor(s % 86400 / 3600)}h`;
  }
  function since(iso) { return (state.now - Date.parse(iso)) / 1000; }
  function utc(iso) { return iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC"); }
  function tone(element, value) {
    element.classList.toggle("up", value > 0);
    element.classList.toggle("down", value < 0);
  }

  // MARK: Reading the API

  async function get(path) {
    const response = await fetch(path, { cache: "no-store" });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  // One refresh of each kind at a time, and a burst of events asks for one.
  const pending = new Map();
  function schedule(kind, run, delay = 150) {
    if (pending.has(kind)) return;
    pending.set(kind, setTimeout(async () => {
      try { await run(); } catch (error) { console.warn(error); } finally { pending.delete(kind); }
    }, delay));
  }

  function table(id, rows, empty, render) {
    const body = $(id).tBodies[0];
    body.textContent = "";
    if (rows.length === 0) {
      const row = body.insertRow();
      const cell = row.insertCell();
      cell.colSpan = $(id).tHead.rows[0].cells.length;
      cell.className = "empty";
      cell.textContent = empty;
      return;
    }
    for (const item of rows) {
      const row = body.insertRow();
      for (const [content, cls] of render(item)) {
        const cell = row.insertCell();
        if (content instanceof Node) cell.appendChild(content); else cell.textContent = content;
        if (cls) cell.className = cls;
      }
    }
  }

  // MARK: Status (every second from the stream)

  function showStatus(status) {
    state.status = status;
    if (status.time) state.now = Date.parse(status.time);
    $("mode").textContent = status.mode;
    $("mode").className = "badge" + (status.mode === "live" ? " live" : "");
    $("venue").textContent = status.venue + (status.connected ? "" : " · disconnected");
    $("equity").textContent = money(status.equity);
    $("pnl-today").textContent = signed(status.pnl_today);
    tone($("pnl-today"), status.pnl_today);
    $("pnl-total").textContent = signed(status.pnl_total);
    tone($("pnl-total"), status.pnl_total);
    $("drawdown").textContent = `${percent(status.drawdown)} (max ${percent(status.max_drawdown)})`;
    $("open-count").textContent = String(status.open_positions);
    $("paused").hidden = !status.paused;
    const banner = $("banner");
    const problem = status.halt_reason ? `Trading stopped: ${status.halt_reason}`
      : !status.journal_healthy ? "The journal could not record the last step: see the bot's log." : "";
    banner.textContent = problem;
    banner.style.display = problem ? "block" : "none";
    showPositions();
    showOpportunities();
  }

  async function readHealth() {
    const response = await fetch("/readyz", { cache: "no-store" });
    const health = await response.json();
    const element = $("health");
    const failing = Object.entries(health.checks || {}).filter(([, check]) => !check.ok);
    element.textContent = health.ok ? "ready" : failing.map(([name]) => name.replace("_", " ")).join(", ") || "not ready";
    element.title = Object.entries(health.checks || {}).map(([name, check]) => `${name}: ${check.detail}`).join("\n");
    element.className = health.ok ? "up" : "down";
  }

  // MARK: Positions, opportunities, trades

  async function readPositions() {
    state.positions = await get("/api/v1/positions");
    showPositions();
    updateSymbols();
  }

  function showPositions() {
    table("positions", state.positions, "No open position", p => {
      const close = document.createElement("button");
      close.textContent = "Close";
      close.className = "danger";
      close.dataset.control = `/api/v1/positions/${encodeURIComponent(p.symbol)}/close`;
      close.dataset.confirm = `Close ${p.symbol} at market?`;
      const stopTitle = p.stop_state === "acknowledged" ? "" : ` (${p.stop_state})`;
      return [[p.symbol], [p.side, p.side === "long" ? "up" : "down"], [String(p.lots)], [price(p.entry_price)],
        [price(p.stop_price) + stopTitle, p.stop_state === "acknowledged" ? "" : "warn"],
        [p.take_profit > 0 ? price(p.take_profit) : "–"],
        [signed(p.unrealized_pnl), p.unrealized_pnl >= 0 ? "up" : "down"], [age(since(p.opened_at))], [close]];
    });
  }

  async function readOpportunities() {
    state.opportunities = await get("/api/v1/opportunities");
    showOpportunities();
    updateSymbols();
  }

  function showOpportunities() {
    const snapshot = state.opportunities;
    if (!snapshot) return;
    $("scan-age").textContent = snapshot.scan_finished
      ? `scan #${snapshot.sequence}, ${age(since(snapshot.scan_finished))} ago` : "no scan yet";
    table("opportunities", snapshot.opportunities.slice(0, 12), "Nothing worth trading in the last scan", o => [
      [o.symbol], [o.signal, o.signal === "buy" ? "up" : "down"], [o.score.toFixed(1)], [percent(o.confidence)],
      [price(o.price)], [o.regime, "muted"], [age(since(o.data_time))]]);
  }

  async function readTrades() {
    const answer = await get("/api/v1/trades?limit=500");
    state.trades = answer.trades.slice(-40).reverse();
    table("trades", state.trades, "No closed trade yet", t => [
      [t.symbol], [t.side, t.side === "long" ? "up" : "down"], [price(t.entry_price)], [price(t.exit_price)],
      [t.reason.replaceAll("_", " "), "muted"], [signed(t.pnl), t.pnl >= 0 ? "up" : "down"], [utc(t.closed_at)]]);
    updateSymbols();
  }

  // MARK: Charts

  async function readEquity() {
    const answer = await get("/api/v1/equity?points=600");
    const points = answer.points.map(p => [Date.parse(p.time), p.equity]);
    const drawdown = answer.points.map(p => [Date.parse(p.time), -p.drawdown * 100]);
    KestrelChart.draw($("equity-chart"), { height: 230, format: money, empty: "The equity curve starts with the run",
      series: [{ name: "Equity", color: "#1d4ed8", kind: "line", points, hover: money }] });
    KestrelChart.draw($("drawdown-chart"), { height: 110, format: v => v.toFixed(1) + "%",
      empty: "", series: [{ name: "Drawdown", color: "#d1495b", kind: "area", points: drawdown }] });
    if (points.length > 1) {
      const values = points.map(p => p[1]);
      $("equity-range").textContent = `${money(Math.min(...values))} to ${money(Math.max(...values))}`;
    }
  }

  function updateSymbols() {
    const symbols = [...new Set([...state.positions.map(p => p.symbol),
      ...(state.opportunities ? state.opportunities.opportunities.map(o => o.symbol) : []),
      ...state.trades.map(t => t.symbol)])];
    const select = $("symbol");
    const chosen = select.value;
    if (symbols.join() === state.symbols.join()) return;
    state.symbols = symbols;
    select.textContent = "";
    for (const symbol of symbols) select.add(new Option(symbol, symbol));
    if (symbols.includes(chosen)) select.value = chosen;
    if (select.value !== chosen) schedule("price", readPrice, 0);
  }

  async function readPrice() {
    const symbol = $("symbol").value;
    const chart = $("price-chart");
    if (!symbol) {
      KestrelChart.draw(chart, { height: 300, empty: "No symbol to chart yet", series: [] });
      return;
    }
    const answer = await get(`/api/v1/candles?symbol=${encodeURIComponent(symbol)}&timeframe=${$("timeframe").value}&limit=160`);
    const candles = answer.candles.map(c => [Date.parse(c.time), c.open, c.high, c.low, c.close]);
    const marks = answer.marks.map(m => ({ t: Date.parse(m.time), v: m.price, kind: m.kind, side: m.side,
      profit: m.pnl == null ? undefined : m.pnl,
      label: m.kind === "entry" ? `${m.side} entry` : `exit (${(m.reason || "").replaceAll("_", " ")})` }));
    const levels = answer.stop ? [{ v: answer.stop, label: "stop", color: "#d1495b" }] : [];
    KestrelChart.draw(chart, { height: 300, format: price, empty: `No ${answer.timeframe} candles for ${symbol} yet`,
      series: [{ name: symbol, kind: "candles", points: candles }], marks, levels });
    $("price-note").textContent = answer.stop ? `stop ${price(answer.stop)}` : "";
  }

  async function readScans() {
    const scans = await get("/api/v1/scans");
    const rows = [
      ["Scans", String(scans.scans)],
      ["Every", `${scans.interval_seconds} s`],
      ["Last scan", scans.last_duration_ms == null ? "–" : `${scans.last_duration_ms.toFixed(1)} ms`],
      ["Scan time p50 / p99", scans.duration_ms ? `${scans.duration_ms.p50.toFixed(1)} / ${scans.duration_ms.p99.toFixed(1)} ms` : "–"],
      ["Opportunities in the last", String(scans.opportunities)],
      ["Signal age at order p50 / p99", scans.signal_age_at_order_ms
        ? `${scans.signal_age_at_order_ms.p50.toFixed(2)} / ${scans.signal_age_at_order_ms.p99.toFixed(2)} ms` : "no order yet"],
      ["Orders in flight / unknown", state.status ? `${state.status.orders_in_flight} / ${state.status.unknown_orders}` : "–"],
    ];
    definitions("scanner", rows);
  }

  function definitions(id, rows) {
    const list = $(id);
    list.textContent = "";
    for (const [name, value, cls] of rows) {
      const term = document.createElement("dt");
      term.textContent = name;
      const detail = document.createElement("dd");
      detail.textContent = value;
      if (cls) detail.className = cls;
      list.append(term, detail);
    }
  }

  async function readRisk() {
    const risk = await get("/api/v1/risk");
    const kelly = risk.kelly;
    const cooling = risk.cooldowns.map(c => `${c.symbol} ${age(c.remaining_seconds)}`).join(", ");
    definitions("risk", [
      ["Today's loss / limit", `${percent(risk.daily_loss)} / ${percent(risk.daily_loss_limit)}`,
        risk.daily_loss >= risk.daily_loss_limit ? "down" : ""],
      ["Drawdown", percent(risk.drawdown)],
      ["Streak", risk.loss_streak > 0 ? `${risk.loss_streak} loss(es)` : `${risk.win_streak} win(s)`],
      ["Risk per trade", `${percent(kelly.risk_per_trade)} (set ${percent(kelly.base_risk_per_trade)})`],
      ["Kelly", kelly.active
        ? `on: win rate ${percent(kelly.win_rate)}, payoff ${kelly.payoff_ratio == null ? "–" : kelly.payoff_ratio.toFixed(2)}`
        : `after ${kelly.trades_needed} trades (${kelly.trades} so far)`],
      ["Stops not acknowledged", String(risk.stops_not_acknowledged), risk.stops_not_acknowledged > 0 ? "warn" : ""],
      ["Cooling down", cooling || "none"],
    ]);
  }

  function readAll() {
    schedule("positions", readPositions, 0);
    schedule("opportunities", readOpportunities, 0);
    schedule("trades", readTrades, 0);
    schedule("equity", readEquity, 0);
    schedule("scans", readScans, 0);
    schedule("risk", readRisk, 0);
    schedule("health", readHealth, 0);
    schedule("price", readPrice, 300);
  }

  // MARK: The event stream

  function setStream(connected) {
    const badge = $("stream");
    badge.textContent = connected ? "live" : "reconnecting…";
    badge.className = "badge " + (connected ? "ok" : "bad");
  }

  function connect() {
    const events = new EventSource("/api/v1/events");
    events.addEventListener("open", () => { setStream(true); readAll(); });
    events.addEventListener("error", () => {
      setStream(false);
      // The browser retries by itself unless the answer was an error; then the page does.
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    });
    events.addEventListener("status", event => showStatus(JSON.parse(event.data)));
    for (const name of ["opened", "closed", "fill", "stop_moved", "control"]) {
      events.addEventListener(name, () => { schedule("positions", readPositions); schedule("price", readPrice, 400); });
    }
    events.addEventListener("closed", () => {
      schedule("trades", readTrades);
      schedule("equity", readEquity, 500);
      schedule("risk", readRisk, 300);
    });
    events.addEventListener("scan", () => { schedule("opportunities", readOpportunities); schedule("scans", readScans); });
    events.addEventListener("warning", event => toast(JSON.parse(event.data).message, true));
  }

  // MARK: Controls

  let toastTimer = null;
  function toast(message, isError = false) {
    const element = $("toast");
    element.textContent = message;
    element.className = isError ? "error" : "";
    element.style.display = "block";
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { element.style.display = "none"; }, 6000);
  }

  function askToken() {
    return new Promise(resolve => {
      const dialog = $("token-dialog");
      $("token-input").value = "";
      dialog.returnValue = "";
      dialog.addEventListener("close", () => {
        const token = $("token-input").value.trim();
        if (dialog.returnValue === "ok" && token) {
          sessionStorage.setItem(TOKEN_KEY, token);
          resolve(token);
        } else {
          resolve(null);
        }
      }, { once: true });
      dialog.showModal();
    });
  }

  async function send(path) {
    const token = sessionStorage.getItem(TOKEN_KEY) || await askToken();
    if (!token) return;
    let response;
    try {
      response = await fetch(path, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    } catch (error) {
      toast(`The bot did not answer: ${error.message}`, true);
      return;
    }
    const body = await response.json().catch(() => ({}));
    const message = body.message || (body.error && body.error.message) || response.statusText;
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      toast(`Refused: ${message}. The next control asks for the token again.`, true);
    } else if (response.status === 403) {
      toast(`Controls are off: ${message}`, true);
    } else {
      toast(message, !response.ok || body.applied === false);
    }
    readAll();
  }

  document.addEventListener("click", event => {
    const button = event.target.closest("button[data-control]");
    if (!button) return;
    if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
    send(button.dataset.control);
  });
  $("symbol").addEventListener("change", () => schedule("price", readPrice, 0));
  $("timeframe").addEventListener("change", () => schedule("price", readPrice, 0));
  window.addEventListener("resize", () => { schedule("equity", readEquity, 200); schedule("price", readPrice, 200); });

  // Between events: the positions' PnL moves with every price, the health and charts more slowly.
  setInterval(() => schedule("positions", readPositions, 0), 2000);
  setInterval(() => { schedule("health", readHealth, 0); schedule("risk", readRisk, 0); }, 10000);
  setInterval(() => { schedule("equity", readEquity, 0); schedule("price", readPrice, 0); schedule("scans", readScans, 0); }, 30000);

  connect();
})();
