import ArgumentParser
import Foundation
import Logging
import SIP
import SIPUserAgent
import ServiceLifecycle
import WaihuConfig
import WaihuCore
#if canImport(Glibc)
import Glibc
#endif

extension PhoneNumber {
    /// The number as Chinese carriers take it in a Request-URI or From: national form, with the trunk prefix
    /// 0 before an area code (`075583201001`, `13800138000`, `95566`); other countries in E.164 (`+44…`).
    var dialString: String {
        guard isChinese else { return e164 }
        return kind == .fixedLine ? "0" + nationalSignificantNumber : nationalSignificantNumber
    }
}

extension TrunkSettings {
    /// The SIP adapter's trunk.
    var trunk: Trunk {
        Trunk(
            name: name, host: host, port: port, username: username, password: password, priority: priority, weight: weight,
            maxConcurrentCalls: maxConcurrentCalls, maxCallsPerSecond: maxCallsPerSecond, callerNumberRanges: callerNumberRanges,
            costPerMinute: costPerMinute)
    }
}

/// A SIP user agent for one command: bound to an ephemeral port unless told otherwise, run as a service
/// until `body` returns, then shut down gracefully (live calls are hung up).
struct OneShotUserAgent {
    let settings: SIPSettings
    let logger: Logger
    var port = 0
    var trace = false

    /// The address to advertise: the configured one, or the local address the kernel would use to reach `host`.
    func advertisedHost(toward host: String, port: Int) -> String? {
        if let advertised = settings.advertisedHost { return advertised }
        if settings.host != "0.0.0.0" && settings.host != "::" { return settings.host }
        return localAddress(toward: host, port: port)
    }

    func run<Result: Sendable>(
        toward target: (host: String, port: Int), _ body: @escaping @Sendable (SIPUserAgent) async throws -> Result
    ) async throws -> Result {
        do {
            try settings.validate()
        } catch {
            throw ValidationError(error.description)
        }
        guard let advertised = advertisedHost(toward: target.host, port: target.port) else {
            throw ValidationError("cannot tell which local address reaches \(target.host); set sip.advertisedHost or WAIHU_SIP_ADVERTISED_HOST")
        }
        var configuration = SIPUserAgent.Configuration(
            host: settings.host, port: port, advertisedHost: advertised, trunks: settings.trunks.map(\.trunk),
            shutdownGracePeriod: .seconds(5))
        if trace {
            configuration.messageObserver = { event in
                let arrow = event.direction == .sent ? "→" : "←"
                printError("\(arrow) \(event.remote)\n\(String(decoding: event.message.serialized(), as: UTF8.self))")
            }
        }
        let agent = SIPUserAgent(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: agent)], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                do {
                    let result = try await body(agent)
                    await group.triggerGracefulShutdown()
                    return result
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
            }
            var outcome: Result?
            for try await result in tasks where result != nil { outcome = result }
            guard let outcome else { throw ValidationError("interrupted before the SIP work finished") }
            return outcome
        }
    }
}

/// The local address the kernel picks to send to `host` (a connected UDP socket sends nothing).
private func localAddress(toward host: String, port: Int) -> String? {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var found: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else { return nil }
    defer { freeaddrinfo(found) }
    let fd = socket(info.pointee.ai_family, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { return nil }
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let named = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { return nil }
    var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
    let converted = withUnsafePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            getnameinfo($0, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST)
        }
    }
    guard converted == 0 else { return nil }
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
