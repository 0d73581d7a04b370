import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime
import WaihuCore

/// An error response in RFC 9457 problem-details form: what is wrong, what to do, and the rule at stake.
struct APIProblem: Error, Sendable {
    var status: HTTPResponse.Status
    /// Short slug of the problem type; the `type` URI is `https://waihu.dev/problems/<slug>`.
    var slug: String
    var title: String
    var detail: String
    var rule: String?
    var errors: [Components.Schemas.ProblemItem]?
    /// The request field at fault, for per-item reports.
    var field: String?

    var body: Components.Schemas.Problem {
        .init(
            _type: "https://waihu.dev/problems/\(slug)", title: title, status: status.code, detail: detail, rule: rule,
            errors: errors)
    }

    static func invalidNumber(_ text: String, _ error: PhoneNumberError) -> APIProblem {
        APIProblem(
            status: .unprocessableContent, slug: "invalid-number", title: "Invalid phone number",
            detail: "'\(text)' is not a valid phone number: \(error)")
    }

    static func badRequest(_ detail: String, errors: [Components.Schemas.ProblemItem]? = nil) -> APIProblem {
        APIProblem(status: .badRequest, slug: "bad-request", title: "Bad request", detail: detail, errors: errors)
    }

}

extension APIProblem {
    /// The HTTP form of a pool rule violation.
    init(_ error: CallerNumberError) {
        switch error {
        case let .invalidNumber(reason):
            self.init(status: .unprocessableContent, slug: "invalid-number", title: "Invalid phone number", detail: reason.description)
        case .notFound:
            self.init(status: .notFound, slug: "not-found", title: "Not in the pool", detail: error.description)
        case .alreadyExists:
            self.init(status: .conflict, slug: "already-exists", title: "Already in the pool", detail: error.description)
        case .retiredIsFinal:
            self.init(status: .conflict, slug: "retired", title: "Retired number", detail: error.description, rule: "P13")
        case .virtualNumberForMarketing:
            self.init(status: .unprocessableContent, slug: "virtual-number-for-marketing", title: "Virtual number barred from marketing",
                      detail: error.description, rule: "P8")
        case .missingFilingReference:
            self.init(status: .unprocessableContent, slug: "missing-filing", title: "Filing reference missing", detail: error.description, rule: "P8")
        case .dailyCapOutOfRange:
            self.init(status: .unprocessableContent, slug: "daily-cap", title: "Daily cap out of range", detail: error.description, rule: "P3")
        case .notMainland, .tooLong, .unknownPurpose, .unknownStatus, .invalidDailyCap:
            self.init(status: .unprocessableContent, slug: "invalid-caller-number", title: "Invalid caller number", detail: error.description)
        }
    }
}

extension APIProblem {
    /// The HTTP form of a refused compliance input.
    init(_ error: ComplianceInputError) {
        switch error {
        case .consentNotFound:
            self.init(status: .notFound, slug: "not-found", title: "No such consent", detail: error.description)
        case .consentAlreadyRevoked:
            self.init(status: .conflict, slug: "already-revoked", title: "Already revoked", detail: error.description)
        case .optInNotFound:
            self.init(status: .notFound, slug: "not-found", title: "No such opt-in", detail: error.description)
        case .notOnList:
            self.init(status: .notFound, slug: "not-listed", title: "Not listed", detail: error.description)
        case .missingEvidence, .evidenceTooLong, .grantedInFuture, .expiresBeforeGranted:
            self.init(status: .unprocessableContent, slug: "invalid-consent", title: "Invalid consent", detail: error.description, rule: "C1")
        case .invalidPhone, .unknownValue, .invalidTimestamp, .negativeDuration:
            self.init(status: .unprocessableContent, slug: "invalid-input", title: "Invalid input", detail: error.description)
        }
    }
}

extension APIProblem {
    /// The HTTP form of a refused pool request.
    init(_ error: PoolInputError) {
        switch error {
        case .noNumberAvailable:
            self.init(status: .conflict, slug: "no-number-available", title: "No caller number available", detail: error.description, rule: "P3")
        case .agentRequired, .unknownAgent, .untrainedAgent:
            self.init(status: .unprocessableContent, slug: "agent", title: "Agent not allowed", detail: error.description, rule: "P6")
        case .unknownReservation, .appealNotFound:
            self.init(status: .notFound, slug: "not-found", title: "Not found", detail: error.description)
        case .reservationExpired:
            self.init(status: .gone, slug: "reservation-expired", title: "Reservation expired", detail: error.description)
        case .appealTransition, .appealAlreadyOpen:
            self.init(status: .conflict, slug: "appeal-state", title: "Appeal state", detail: error.description, rule: "P12")
        case .notInPool, .negativeMarkCount:
            self.init(status: .unprocessableContent, slug: "invalid-input", title: "Invalid input", detail: error.description)
        }
    }
}

extension APIProblem: HTTPResponseConvertible {
    var httpStatus: HTTPResponse.Status { status }
    var httpHeaderFields: HTTPFields { [.contentType: "application/problem+json"] }
    var httpBody: HTTPBody? { HTTPBody(APIProblem.encode(body)) }

    static func encode(_ problem: Components.Schemas.Problem) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(problem))) ?? Array(#"{"title":"Internal error","status":500}"#.utf8)
    }
}

/// Turns every error an operation throws into a problem response: malformed bodies and parameters become
/// 400 with the offending key named, domain errors their own status, anything else a logged 500.
struct ProblemMiddleware: ServerMiddleware {
    let logger: Logger

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch {
            let problem = problem(for: error, operationID: operationID)
            return (HTTPResponse(status: problem.status, headerFields: problem.httpHeaderFields), problem.httpBody)
        }
    }

    private func problem(for error: any Error, operationID: String) -> APIProblem {
        let underlying = (error as? ServerError)?.underlyingError ?? error
        if let problem = underlying as? APIProblem { return problem }
        if let error = underlying as? CallerNumberError { return APIProblem(error) }
        if let error = underlying as? ComplianceInputError { return APIProblem(error) }
        if let error = underlying as? PoolInputError { return APIProblem(error) }
        if let error = underlying as? DecodingError { return .badRequest("the request body is malformed: \(describe(error))") }
        if let server = error as? ServerError, (400..<500).contains(server.httpStatus.code) {
            return APIProblem(
                status: server.httpStatus, slug: "bad-request", title: server.httpStatus.reasonPhrase,
                detail: "\(server.causeDescription): \(server.underlyingError)")
        }
        logger.error("operation \(operationID) failed: \(String(reflecting: underlying))")
        return APIProblem(
            status: .internalServerError, slug: "internal", title: "Internal error",
            detail: "waihu could not complete \(operationID); the error is in the server log")
    }

    private func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue } + (key.map { [$0.stringValue] } ?? [])
            return keys.isEmpty ? "the body" : "'" + keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[") + "'"
        }
        switch error {
        case let .keyNotFound(key, context): return "\(path(context, key)) is required but missing"
        case let .typeMismatch(type, context): return "\(path(context)) must be \(typeName(type))"
        case let .valueNotFound(type, context): return "\(path(context)) must be \(typeName(type)), not null"
        case let .dataCorrupted(context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type: "a whole number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Double.Type: "a number"
        default: "\(type)"
        }
    }
}

/// Answers requests outside the API (unknown routes, wrong methods) with problem details too.
struct HTTPErrorProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let problem = APIProblem(
                status: error.status, slug: error.status == .notFound ? "no-such-route" : "http-error",
                title: error.status.reasonPhrase,
                detail: error.body ?? (error.status == .notFound
                    ? "no route \(request.method) \(request.uri.path); the API is described at /openapi.yaml"
                    : error.status.reasonPhrase))
            var headers = error.headers
            headers[.contentType] = "application/problem+json"
            return Response(status: error.status, headers: headers, body: .init(byteBuffer: .init(bytes: APIProblem.encode(problem.body))))
        }
    }
}

/// Sends `Location` as the URI reference it is. The OpenAPI runtime encodes every header value as a URI
/// component (style "simple"), which would turn `/v1/caller-numbers/+86…` into `%2Fv1%2F…`.
struct LocationHeaderMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, body) = try await next(request, body, metadata)
        if let location = response.headerFields[.location], let decoded = location.removingPercentEncoding {
            response.headerFields[.location] = decoded
        }
        return (response, body)
    }
}
