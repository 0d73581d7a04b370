import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import WaihuConfig
import WaihuGateways
import WaihuCore
import WaihuServer
import WaihuStore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the HTTP API (see /openapi.yaml) until SIGINT or SIGTERM.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Address to listen on (default 127.0.0.1). Also WAIHU_HOST.")
    var host: String?

    @Option(help: "Port to listen on (default 8080). Also WAIHU_PORT.")
    var port: Int?

    func run() async throws {
        let configuration = try store.resolve(host: host, port: port)
        try await Server(configuration: configuration).run { _ in }
    }
}

/// The running server: logging and metrics bootstrapped, store opened, services run until a signal.
struct Server {
    let configuration: WaihuConfiguration

    func run(onRunning: @escaping @Sendable (WaihuConfiguration) async -> Void) async throws {
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "waihu")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let policy = try configuration.policy()
        let database = try configuration.openStore()
        let started = ContinuousClock.now
        let gate = try await ComplianceGate.load(store: database, policy: policy, now: Date())
        let sizes = gate.snapshot().sizes
        logger.info("compliance index loaded", metadata: [
            "doNotCall": "\(sizes.doNotCall)", "callees": "\(sizes.callees)", "took": "\(ContinuousClock.now - started)",
        ])
        let configuration = configuration
        let gateway = configuration.smsGatewayURL.map { HTTPSMSGateway(url: $0, token: configuration.smsToken) }
        let selector = try await PoolService.makeSelector(store: database, policy: policy, now: Date())
        let pool = PoolService(store: database, selector: selector, policy: policy)
        let dependencies = WaihuServerDependencies(
            callerNumbers: database, compliance: gate,
            optIns: OptInService(gate: gate, store: database, gateway: gateway), pool: pool, metrics: registry,
            importLimitBytes: configuration.importLimitBytes)
        let marks = MarkIntake(
            pool: pool, provider: configuration.marksProviderURL.map { HTTPMarkProvider(url: $0, token: configuration.marksToken) },
            dropFolder: configuration.marksDropFolder, directory: .bundled)
        let app = try buildApplication(
            host: configuration.host, port: configuration.port, dependencies: dependencies, logger: logger,
            onServerRunning: { await onRunning(configuration) })
        logger.info("waihu \(WaihuVersion.current) starting", metadata: [
            "database": .string(configuration.databasePath), "policy": .string("\(policy.version) (\(policy.digest.prefix(12)))"),
        ])
        let services: [any Service] = [
            app,
            IndexRefreshService(gate: gate, pool: pool, store: database, interval: .seconds(2), logger: logger),
            RetentionService(store: database, policy: policy.compliance, logger: logger),
            LeaseWriterService(selector: selector, store: database, logger: logger),
            ReservationSweepService(selector: selector),
            PoolJobsService(pool: pool, marks: marks, logger: logger),
        ]
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            printError("waihu: \(configuration.host):\(configuration.port) is already in use; choose another port with --port")
            throw ExitCode.failure
        }
    }
}
