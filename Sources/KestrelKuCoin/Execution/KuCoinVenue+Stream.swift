import Foundation
import KestrelCore

/// The account's private stream: order steps, stop orders, positions and the wallet, turned into the venue
/// protocol's events.
extension KuCoinVenue {
    /// The private topics, all symbols each: order changes, stop orders, positions, the wallet (§9).
    public static let privateTopics = ["/contractMarket/tradeOrders", "/contractMarket/advancedOrders",
                                       "/contract/positionAll", "/contractAccount/wallet"]

    /// Keeps the private stream connected until the task is cancelled: a new bullet at each connection (tokens
    /// expire), again after a break at once and then after a growing pause. Each time every topic is subscribed it
    /// reports `connectionRestored`, so that what was missed comes back by reconciliation, never by guessing; each
    /// break is reported as `connectionLost`. A refused key ends it (`authenticationRefused`): trying again cannot
    /// help.
    public func runStream(longestBackoff: Duration = .seconds(30)) async {
        var settings = KuCoinStreamConnection.Settings()
        settings.privateChannel = true
        let connection = KuCoinStreamConnection(topics: { Self.privateTopics }, settings: settings, logger: logger)
        let api = self.api
        await connection.keepRunning(
            backoff: .init(first: .milliseconds(500), longest: longestBackoff),
            bullet: { try await api.send(.privateBullet, priority: .protection, as: KuCoinBullet.self) },
            signal: { signal, _ in
                switch signal {
                case .subscribed:
                    self.continuation.yield(.connectionRestored)
                case .frame(let frame):
                    await self.take(frame)
                }
            }, broke: { [logger, continuation] error in
                // A key KuCoin refuses (revoked, expired, its permissions changed) is refused again at every
                // attempt: the stream stops and says so, rather than asking for a token forever.
                // Read as any request's failure is (a clock skew is not a refused key).
                if case .authentication(let detail) = VenueError(error) {
                    logger.critical("🔑 KuCoin refused the API key on the private stream: \(detail)")
                    continuation.yield(.authenticationRefused(reason: detail))
                    return false
                }
                logger.warning("🔌 KuCoin private stream lost: \(error)")
                continuation.yield(.connectionLost(reason: "\(error)"))
                return true
            })
    }

    /// One private push, as the protocol's events.
    func take(_ frame: KuCoinStreamFrame) {
        switch frame {
        case .orderChange(let update):
            let id = update.clientOid.flatMap { $0.isEmpty ? nil : ClientOrderID($0) } ?? clientIDs[update.orderID]
                ?? ClientOrderID("kucoin-\(update.orderID)")
            clientIDs[update.orderID] = id
            switch update.type {
            case "open":
                continuation.yield(.exchange(.accepted(id, symbol: update.symbol)))
            case "match":
                guard let fill = fill(of: update, id: id) else { return }
                continuation.yield(.exchange(.fill(fill)))
            case "canceled":
                continuation.yield(.exchange(.orderCancelled(id, symbol: update.symbol)))
            default:
                // "filled" follows the match that filled it; "update" is a size reduced by hand.
                break
            }
        case .stopOrder(let update):
            // Named by KuCoin's id only. One not known yet may be a stop whose placement has not been answered:
            // kept until it is (one this venue never places is left to reconciliation).
            guard let id = clientIDs[update.orderID] else {
                earlyStopPushes[update.orderID, default: []].append(update)
                return
            }
            switch update.type {
            case "open":
                continuation.yield(.exchange(.accepted(id, symbol: update.symbol)))
            case "cancel":
                continuation.yield(.exchange(.orderCancelled(id, symbol: update.symbol)))
            case "triggered" where update.triggerSuccess == false:
                continuation.yield(.rejected(id, symbol: update.symbol,
                                             reason: "stop triggered but not placed: \(update.error ?? "no reason")"))
            default:
                break
            }
        case .position(let update):
            // A mark-price frame says nothing of the size.
            guard update.changeReason != "markPriceChange",
                  let position = update.exchangePosition(multiplier: multiplier(of: update.symbol)) else { return }
            continuation.yield(.position(position, symbol: update.symbol))
        case .wallet(let balance):
            continuation.yield(.wallet(balance))
        default:
            break
        }
    }

    /// A match as a fill. The push carries no fee: it is worked out from the contract's rate (the wallet, read at
    /// each reconciliation, holds what KuCoin charged).
    private func fill(of update: KuCoinOrderUpdate, id: ClientOrderID) -> Fill? {
        guard let tradeID = update.tradeID, !tradeID.isEmpty, let price = update.matchPrice, price.isFinite,
              price > 0, let lots = update.matchSize, lots > 0 else {
            logger.warning("a match without its trade id, price or size was skipped",
                           metadata: ["order": "\(id)"])
            return nil
        }
        let rate = feeRate(of: update.symbol, maker: update.isMaker)
        let fee = price * Double(lots) * (multiplier(of: update.symbol) ?? 0) * rate
        return Fill(orderID: id, tradeID: TradeID(tradeID), symbol: update.symbol, side: update.side, lots: lots,
                    price: price, fee: fee, time: Timestamp(seconds: update.nanoseconds / 1_000_000_000),
                    isMaker: update.isMaker, isLiquidation: update.isLiquidation)
    }
}
