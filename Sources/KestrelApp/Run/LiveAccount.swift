import ArgumentParser
import Foundation
import KestrelCore
import KestrelKuCoin
import Logging

/// The KuCoin Futures account a live run trades (`kestrel run --exchange kucoin --live`): a REST client of its
/// own (the account's requests draw on the key's pool, apart from the market data's), the signed API, and the
/// balance read at the start, which also proves the key works before anything else is loaded.
struct LiveAccount {
    let client: KuCoinRESTClient
    let api: KuCoinPrivateAPI
    /// The account when the run started.
    let overview: KuCoinAccountOverview

    /// Connects to the account. A key that is missing, or that KuCoin refuses, stops the run here with a message that
    /// names what is wrong (never the secret or the passphrase).
    static func connect(options: ExchangeOptions, settings: BotSettings, envFile: String,
                        logger: Logger) async throws -> LiveAccount {
        guard let credentials = settings.kucoinCredentials else {
            throw ValidationError("--live trades real money on a KuCoin Futures account and needs its API key: "
                + "\(settings.missingCredentials.joined(separator: ", ")) not set (in the environment or \(envFile))")
        }
        EnvFileCheck.warnIfOthersCanReadSecrets(envFile, logger: logger)
        let client = try options.kucoinClient()
        do {
            let clock = KuCoinServerClock(client: client)
            try await clock.synchronise(priority: .reconciliation)
            let api = KuCoinPrivateAPI(client: client, credentials: credentials, clock: clock,
                                       logger: Logger(label: "kestrel.kucoin.private"))
            let overview: KuCoinAccountOverview
            do {
                overview = try await api.accountOverview()
            } catch let error as KuCoinError where error.isAuthentication {
                throw ValidationError("KuCoin refused \(credentials): \(error). Check KUCOIN_API_KEY, "
                    + "KUCOIN_API_SECRET and KUCOIN_API_PASSPHRASE (a version 2 key with the trade permission)")
            }
            return LiveAccount(client: client, api: api, overview: overview)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The venue over this account, for the run's instruments (and their fee rates) and settings.
    func venue(instruments: [Instrument], fees: [String: (maker: Double, taker: Double)],
               settings: BotSettings) -> KuCoinVenue {
        KuCoinVenue(api: api, market: KuCoinMarketData(client: client, logger: Logger(label: "kestrel.kucoin")),
                    instruments: instruments, fees: fees,
                    settings: .init(marginMode: settings.marginMode, stopPriceType: settings.stopPriceType),
                    logger: Logger(label: "kestrel.kucoin.venue"))
    }

    func close() async { try? await client.shutdown() }
}

/// A `.env` file that holds the API secret should be readable by its owner alone.
enum EnvFileCheck {
    /// Warns when `path` holds the KuCoin secret or passphrase and its group or others may read or write it.
    static func warnIfOthersCanReadSecrets(_ path: String, logger: Logger) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue, permissions & 0o077 != 0,
              let text = try? String(contentsOfFile: path, encoding: .utf8),
              text.contains("KUCOIN_API_SECRET") || text.contains("KUCOIN_API_PASSPHRASE") else { return }
        logger.warning("⚠️ \(path) holds the API secret and is readable by others (mode \(String(permissions, radix: 8))): run chmod 600 \(path)")
    }
}
