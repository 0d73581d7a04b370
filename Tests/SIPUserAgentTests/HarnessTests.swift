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
        #expect(isUDPPort(socket.port, boundBy: getpid()))
        // Another process (init) holds no socket on our port: a port some other socket took does not count.
        #expect(!isUDPPort(socket.port, boundBy: 1))
    }
}
