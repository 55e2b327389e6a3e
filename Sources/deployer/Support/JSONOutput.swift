import AWSCore
import ArgumentParser
import DeployKit
import Foundation

/// JSON for every `--json` output: one object with `version: 1`, snake_case keys (the
/// values' own maps, such as job definitions, keep their keys), sorted so scripts and diffs
/// see stable text.
func printJSON<T: Encodable>(_ value: T) throws {
    try printSnakeJSON(value)
}

var snakeEncoder: JSONEncoder {
    let encoder = JSONEncoder.pretty
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return encoder
}

func printSnakeJSON<T: Encodable>(_ value: T) throws {
    print(String(decoding: try snakeEncoder.encode(value), as: UTF8.self))
}
