import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import Prometheus
import WaihuCore

/// What the HTTP server needs: the core's directory and policy, the store behind its port, a clock.
public struct WaihuServerDependencies: Sendable {
    public var directory: PhoneDirectory
    public var callerNumbers: any CallerNumberStore
    /// The compliance gate, with its index loaded.
    public var compliance: ComplianceGate
    /// SMS double opt-in, over the gate and the configured SMS gateway.
    public var optIns: OptInService
    /// The number pool: selection, evaluation, appeals.
    public var pool: PoolService
    public var policy: Policy { compliance.policy }
    /// The time of day, injected so that tests control it.
    public var clock: @Sendable () -> Date
    /// The registry `/metrics` renders; the executable bootstraps swift-metrics with it.
    public var metrics: PrometheusCollectorRegistry
    /// The largest CSV body an import accepts, in bytes.
    public var importLimitBytes: Int
    public var version: String

    public init(
        directory: PhoneDirectory = .bundled, callerNumbers: any CallerNumberStore, compliance: ComplianceGate,
        optIns: OptInService, pool: PoolService, clock: @escaping @Sendable () -> Date = { Date() },
        metrics: PrometheusCollectorRegistry = .init(), importLimitBytes: Int = 64 << 20,
        version: String = WaihuVersion.current
    ) {
        self.directory = directory
        self.callerNumbers = callerNumbers
        self.compliance = compliance
        self.optIns = optIns
        self.pool = pool
        self.clock = clock
        self.metrics = metrics
        self.importLimitBytes = importLimitBytes
        self.version = version
    }
}

/// waihu's version, reported by `/healthz` and `waihu --version`.
public enum WaihuVersion {
    public static let current = "0.1.0"
}

/// Builds the HTTP application: the routes generated from `openapi.yaml`, problem responses for every
/// error, request logging and metrics, and the OpenAPI document itself at `/openapi.yaml`.
public func buildApplication(
    host: String, port: Int, dependencies: WaihuServerDependencies, logger: Logger = Logger(label: "waihu.server"),
    onServerRunning: @escaping @Sendable () async -> Void = {}
) throws -> some ApplicationProtocol {
    let router = Router()
    router.add(middleware: HTTPErrorProblemMiddleware())
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: MetricsMiddleware())
    let api = WaihuAPI(dependencies: dependencies)
    try api.registerHandlers(on: router, middlewares: [ProblemMiddleware(logger: logger), LocationHeaderMiddleware()])
    router.get("/openapi.yaml") { _, _ -> Response in
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let spec = try? Data(contentsOf: url) else { throw HTTPError(.notFound) }
        return Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: spec)))
    }
    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: "waihu"),
        onServerRunning: { _ in await onServerRunning() },
        logger: logger)
}
