import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import WaihuCore

/// Sends SMS by POSTing JSON to the operator's SMS gateway:
/// `{"to": "+8613800138000", "text": "…", "reference": "opt_…"}` with `Authorization: Bearer <token>` when a
/// token is set. A 2xx answer is success; its JSON `reference` or `id`, if any, is kept with the opt-in.
public struct HTTPSMSGateway: SMSGateway {
    public let url: URL
    private let token: String?
    private let session: URLSession

    /// - Parameter token: from the environment (`WAIHU_SMS_TOKEN`), never from a file.
    public init(url: URL, token: String?, timeout: TimeInterval = 10) {
        self.url = url
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration)
    }

    public func send(to phone: PhoneNumber, text: String, reference: String) async throws -> String? {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONEncoder().encode(["to": phone.e164, "text": text, "reference": reference])
        let (data, response) = try await session.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw SMSGatewayError(status: status, body: String(decoding: data.prefix(300), as: UTF8.self))
        }
        let answer = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (answer?["reference"] ?? answer?["id"]).map { "\($0)" }
    }
}

/// The gateway answered with an error status.
public struct SMSGatewayError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let body: String
    public var description: String { "the SMS gateway answered HTTP \(status): \(body)" }
}
