extension TradingEngine {
    /// Walks the latest snapshot best score first and orders every opportunity that still holds: fresh, priced
    /// near its scan, allowed by the risk gates, and still signalled on the symbol's latest data.
    mutating func considerEntries(at now: Timestamp, announce: Bool, into output: inout Output) {
        guard !isShuttingDown, !entriesPaused, let snapshot = latestSnapshot else { return }
        let age = snapshot.age(at: now)
        if announce {
            output.note(.processing(count: snapshot.opportunities.count, snapshotAge: age,
                                            sequence: snapshot.sequence))
        }
        guard age <= settings.maxOpportunityAgeSeconds else {
            if announce { output.note(.staleSnapshot(age: age, limit: settings.maxOpportunityAgeSeconds)) }
            return
        }
        // Scanners publish best first; only a snapshot built some other way needs sorting.
        let opportunities = snapshot.opportunities
        let isBestFirst = opportunities.indices.dropFirst().allSatisfy { opportunities[$0 - 1].score >= opportunities[$0].score }
        let ordered = isBestFirst ? opportunities : opportunities.sorted(by: { $0.score > $1.score })
        // By index: iterating would copy each opportunity (its instrument and verdict) before most are passed over.
        for index in ordered.indices {
            // An opportunity is entered at most once; one that is blocked now is looked at again on later ticks
            // while its snapshot is fresh (the reasons are told once, when the snapshot arrives).
            guard !hasActed(on: ordered[index].symbol, inSnapshot: snapshot.sequence) else { continue }
            if committedCount >= settings.risk.maxOpenPositions { break }
            let opportunity = ordered[index]
            if announce { output.note(.evaluating(opportunity)) }
            if let reason = entryBlocker(opportunity, at: now) {
                if announce { output.note(.skipped(symbol: opportunity.symbol, reason: reason.description)) }
                continue
            }
            if enter(opportunity, snapshotAge: age, at: now, announce: announce, into: &output) {
                actedOn.append(OpportunityKey(sequence: snapshot.sequence, symbol: opportunity.symbol))
            }
        }
    }

    /// Why an opportunity cannot be entered now. Told only when a snapshot is announced, so the words are only
    /// put together then: ticks look at blocked opportunities again and again.
    enum EntryBlocker: CustomStringConvertible {
        case notListed
        case alreadyInPosition
        case foreignPosition
        case noPrice
        case priceDrift(Double, limit: Double)
        case risk(RiskManager.Refusal)

        var description: String {
            switch self {
            case .notListed: "not listed on the venue (delisted, or not yet listed)"
            case .alreadyInPosition: "already in a position on this symbol"
            case .foreignPosition: "the account holds a position on it that is not Kestrel's (left alone)"
            case .noPrice: "no live price yet"
            case .priceDrift(let drift, let limit): "price moved \(NumberText.percent(drift)) since the scan (limit \(NumberText.percent(limit)))"
            case .risk(let refusal): refusal.description
            }
        }
    }

    /// Why an opportunity cannot be entered now, or nil.
    private func entryBlocker(_ opportunity: Opportunity, at now: Timestamp) -> EntryBlocker? {
        let symbol = opportunity.symbol
        guard isListed(symbol) else { return .notListed }
        if positions.index(forKey: symbol) != nil
            || pendingEntries.values.indices.contains(where: { pendingEntries.values[$0].request.symbol == symbol }) {
            return .alreadyInPosition
        }
        if !foreignSymbols.isEmpty, foreignSymbols.contains(symbol) { return .foreignPosition }
        guard let price = marks.price(symbol) else { return .noPrice }
        if opportunity.price > 0 {
            let drift = abs(price / opportunity.price - 1)
            if drift > settings.maxPriceDrift { return .priceDrift(drift, limit: settings.maxPriceDrift) }
        }
        // A symbol held or being entered was refused above.
        let refusal = riskManager.gate(
            symbol: symbol, base: opportunity.instrument.base, confidence: opportunity.confidence,
            // A closure, not `committedCount(inGroup:)` itself: that would capture a copy of the whole engine.
            minimumConfidence: 0, openCount: committedCount, openInGroup: { committedCount(inGroup: $0) },
            availableMargin: availableMargin, equity: equity, state: risk, at: now)
        return refusal.map(EntryBlocker.risk)
    }

    /// Orders the entry; false when the latest data or the sizing rules say no.
    private mutating func enter(_ opportunity: Opportunity, snapshotAge: Int64, at now: Timestamp, announce: Bool,
                                into output: inout Output) -> Bool {
        func skip(_ reason: @autoclosure () -> String) -> Bool {
            if announce { output.note(.skipped(symbol: opportunity.symbol, reason: reason())) }
            return false
        }
        let symbol = opportunity.symbol
        // The scan may be a minute old: check the signal again on the symbol's latest closed candles.
        guard let signal = revalidator.revalidate(symbol: symbol, at: now), signal.isActionable,
              signal.signal == opportunity.signal else {
            return skip("signal no longer holds on the latest data")
        }
        let instrument = listedInstrument(symbol) ?? opportunity.instrument
        let price = marks.price(symbol) ?? opportunity.price
        let stopDistance = RiskManager.stopDistance(volatility: signal.bbWidth)
        let inputs = RiskManager.LeverageInputs(volatility: signal.bbWidth, confidence: signal.confidence,
                                                momentum: signal.momentum, trendGap: signal.trendGap,
                                                regime: signal.regime)
        guard let leverage = riskManager.leverage(inputs, state: risk, equity: equity, stopDistance: stopDistance,
                                                  instrumentMax: instrument.maxLeverage) else {
            return skip(RiskManager.Refusal.stopBeyondLiquidation.description)
        }
        let fraction = riskManager.riskFraction(state: risk, equity: equity)
        guard let lots = riskManager.lots(equity: equity, risk: fraction, price: price, stopDistance: stopDistance,
                                          leverage: leverage, availableMargin: availableMargin,
                                          takerFee: settings.takerFee, instrument: instrument) else {
            return skip(RiskManager.Refusal.sizeBelowMinimumLot.description)
        }
        let side: PositionSide = opportunity.signal == .buy ? .long : .short
        let request = OrderRequest(id: makeOrderID(.entry, symbol), symbol: symbol, side: side.entrySide, lots: lots,
                                   kind: .market, reduceOnly: false, leverage: leverage, purpose: .entry)
        var priced = opportunity
        priced.price = price
        pendingEntries[request.id] = PendingEntry(request: request, opportunity: priced, signal: signal,
                                                  stopDistance: stopDistance)
        statistics.entriesSubmitted += 1
        statistics.snapshotAges.append(snapshotAge)
        output.commands.append(.place(request))
        output.note(.entrySubmitted(request, price: price, stopDistance: stopDistance))
        return true
    }

    /// An entry filled (or its first piece did): the position exists, and its protective stop goes to the exchange
    /// at once, for what has filled. The targets go out once the whole entry has filled.
    mutating func opened(_ fill: Fill, entry: PendingEntry, into output: inout Output) {
        let instrument = entry.opportunity.instrument
        let side: PositionSide = fill.side == .buy ? .long : .short
        let stop = instrument.roundToTick(fill.price * (1 - side.sign * entry.stopDistance))
        let target = instrument.roundToTick(fill.price * (1 + side.sign * 2 * entry.stopDistance))
        let volatility = entry.signal.bbWidth.isFinite ? entry.signal.bbWidth : 0.03
        var trail = settings.risk.trailingStopPercentage
        if volatility > 0.05 { trail *= 1.5 } else if volatility < 0.02 { trail *= 0.8 }
        var position = ManagedPosition(
            symbol: fill.symbol, instrument: instrument, side: side, lots: fill.lots, initialLots: fill.lots,
            entryPrice: fill.price, leverage: entry.request.leverage, openedAt: fill.time,
            stopDistance: entry.stopDistance, stopPrice: stop, stopKind: .initial, stopOrderID: nil,
            takeProfitPrice: target, trailDistance: trail, bestPrice: fill.price, partialsTaken: 0, exitOrderID: nil,
            exitReason: nil, equityAtEntry: equity, fees: fill.fee, funding: 0, realizedPnL: 0, exitValue: 0,
            exitedLots: 0)
        // Funding due before the position opened was someone else's (an earlier position's): a venue's snapshot
        // still lists it, and it is not this one's to count.
        position.lastFundingAt = fill.time
        if fill.lots < entry.request.lots {
            position.entryOrderID = entry.request.id
            position.entryLotsLeft = entry.request.lots - fill.lots
        }
        cash -= fill.fee
        // Protection is sought from the moment the engine hears of the fill: a fill heard late (lost on a dropped
        // stream, found in a snapshot) gets its grace from then, not from a past it could not act in.
        sendStop(for: &position, at: max(fill.time, statistics.lastTime ?? fill.time), into: &output)
        // The targets rest on the exchange too, as reduce-only limits: they fill where the price reaches them, even
        // if the bot is not there to see it.
        if position.entryOrderID == nil { placeTargetOrders(for: &position, into: &output) }
        positions[fill.symbol] = position
        revalue(fill.symbol)
        statistics.tradesOpened += 1
        output.note(.opened(position))
    }

    /// A partial level's share of the initial size, in whole lots.
    static func lots(of level: EngineSettings.PartialTakeProfit, for position: ManagedPosition) -> Int {
        let lotSize = position.instrument.lotSize
        return Int((Double(position.initialLots) * level.fraction).rounded()) / lotSize * lotSize
    }

    /// Places the partial take-profits (or, without partials, one take profit at twice the stop distance) as
    /// limit orders, and files them on `position`. Appended where they go: an array of them made for each trade
    /// grew three times.
    mutating func placeTargetOrders(for position: inout ManagedPosition, into output: inout Output) {
        let instrument = position.instrument
        let levels = settings.partialTakeProfits
        position.targetOrders.reserveCapacity(max(levels.count, 1))
        func place(_ lots: Int, at price: Double, _ reason: ExitReason) {
            let order = OrderRequest(id: makeOrderID(reason == .takeProfit ? .target : .partial, position.symbol),
                                     symbol: position.symbol, side: position.side.exitSide, lots: lots,
                                     kind: .limit(price: instrument.roundToTick(price)), reduceOnly: true,
                                     leverage: position.leverage, purpose: .exit(reason))
            position.targetOrders[order.id] = ManagedPosition.TargetOrder(reason: reason, lots: lots)
            output.commands.append(.place(order))
        }
        guard !levels.isEmpty else {
            place(position.lots, at: position.takeProfitPrice, .takeProfit)
            return
        }
        var remaining = position.lots
        for (index, level) in levels.enumerated() {
            let isLast = index == levels.count - 1
            var lots = Self.lots(of: level, for: position)
            if isLast || lots > remaining { lots = remaining }
            guard lots >= instrument.lotSize else { continue }
            remaining -= lots
            let price = position.entryPrice * (1 + position.side.sign * level.leveragedPnL / Double(position.leverage))
            place(lots, at: price, remaining == 0 ? .takeProfit : .partialTakeProfit)
            if remaining == 0 { break }
        }
    }
}
