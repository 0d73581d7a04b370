import ArgumentParser
import WaihuServer

/// The `waihu` command: every job of the platform, from the demo to the server.
@main
struct Waihu: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "waihu",
        abstract: "Compliant outbound calling: number pool, compliance gate, dialer (外呼).",
        discussion: "Start with `waihu demo`. Rule ids (P3, C6 …) refer to the rulebook.",
        version: WaihuVersion.current,
        subcommands: [
            DemoCommand.self, LookupCommand.self, NumbersCommand.self, CheckCommand.self, ConsentCommand.self,
            DoNotCallCommand.self, ScrubCommand.self, PoolCommand.self, CallCommand.self, TrunksCommand.self, PurgeCommand.self,
            ServeCommand.self,
        ]
    )
}
