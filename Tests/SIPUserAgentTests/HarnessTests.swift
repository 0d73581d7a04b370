import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("test harness")
struct HarnessTests {
    @Test("a UDP port counts as a process's only when that process's own socket is bound to it")
    func portOwnership() async throws {
        let socket = try await TestUDPSocket()
        defer { Task { await socket.close() } }
        #expect(try await waitForUDPBind(pid: getpid(), port: socket.port, seconds: 5))
        // Another process (init) holds no socket on our port: a port some other socket took does not count.
        #expect(try await !waitForUDPBind(pid: 1, port: socket.port, seconds: 0.5))
    }
}
