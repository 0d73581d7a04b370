import ArgumentParser
import Foundation
import WaihuConfig
import WaihuCore
import WaihuStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start here: load a sample caller-number pool into waihu-data/ and run the server.",
        discussion: "Safe to run again: the sample pool is imported idempotently and your own data is kept.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Port to listen on.")
    var port = 8080

    func run() async throws {
        let configuration = try store.resolve(port: port)
        guard let url = Bundle.module.url(forResource: "demo-caller-numbers", withExtension: "csv"),
              let data = FileManager.default.contents(atPath: url.path) else {
            throw ValidationError("the demo's sample pool is missing from this installation")
        }
        let database = try configuration.openStore()
        let report = try await database.importCSV(
            [UInt8](data), directory: .bundled, policy: configuration.policy().pool, at: Date(), actor: "demo")
        printNow("""
            waihu demo — database \(configuration.databasePath)
            sample pool (示例银行): \(report.rows) numbers, \(report.created) added, \(report.unchanged + report.updated) already there\(report.rejected > 0 ? ", \(report.rejected) rejected" : "")
            """)
        try await Server(configuration: configuration).run { configuration in
            let base = "http://\(configuration.host):\(configuration.port)"
            printNow("""

                The API is listening on \(base) (Ctrl-C stops it). Try:

                  curl \(base)/v1/lookup/13800138000
                  curl '\(base)/v1/caller-numbers?purpose=service&status=active&limit=5'
                  curl '\(base)/v1/caller-numbers?province=广东'
                  curl \(base)/v1/caller-numbers/010-58001001/history
                  curl -X PATCH \(base)/v1/caller-numbers/13910001001 -H 'content-type: application/json' -d '{"status":"resting","reason":"connect rate down"}'
                  curl -X POST \(base)/v1/caller-numbers -H 'content-type: application/json' -d '{"number":"17012345678","purpose":"marketing","filingRef":"X-1"}'   # refused: RULES P8
                  curl \(base)/openapi.yaml      # the whole API
                  curl \(base)/metrics

                From another terminal, the CLI works on the same data:

                  swift run waihu lookup '0755-8888-1234'
                  swift run waihu numbers list --purpose marketing
                  swift run waihu numbers show 13910001001

                """)
        }
    }
}
