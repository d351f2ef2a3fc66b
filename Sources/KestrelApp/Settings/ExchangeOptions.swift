import ArgumentParser
import Foundation
import KestrelKuCoin

/// Where a command's market comes from: the embedded replay (or a user's files), or a live exchange's public data.
struct ExchangeOptions: ParsableArguments {
    enum Exchange: String, ExpressibleByArgument, CaseIterable {
        case embedded
        case kucoin
    }

    @Option(help: "Market data: embedded (the replay shipped with Kestrel, or --data files) or kucoin (live).")
    var exchange: Exchange = .embedded

    @Option(help: ArgumentHelp("KuCoin Futures' REST address (default: KUCOIN_API_URL, else \(KuCoinRESTClient.defaultBaseURL)).",
                               valueName: "url"))
    var apiURL: String?

    /// The REST address: `--api-url`, else `KUCOIN_API_URL`, else KuCoin's own.
    var kucoinBaseURL: String {
        if let apiURL { return apiURL }
        if let fromEnvironment = ProcessInfo.processInfo.environment["KUCOIN_API_URL"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return KuCoinRESTClient.defaultBaseURL
    }

    /// A REST client of KuCoin at the chosen address; an address that cannot be used is a validation error naming
    /// where it came from.
    func kucoinClient() throws -> KuCoinRESTClient {
        do {
            return try KuCoinRESTClient(configuration: .init(baseURL: kucoinBaseURL))
        } catch let error as KuCoinConfigurationError {
            let source = apiURL != nil ? "--api-url" : "KUCOIN_API_URL"
            throw ValidationError("\(source) \(error.value): \(error.reason)")
        }
    }

    /// Runs `body` with a KuCoin client, closed afterwards whatever happens.
    func withKuCoin<T>(_ body: (KuCoinRESTClient) async throws -> T) async throws -> T {
        try await kucoinClient().using(body)
    }
}
