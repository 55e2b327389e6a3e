import AWSCore
import ArgumentParser
import DeployKit
import Foundation

/// `30s`, `10m`, `1h30m`, `2h`, or plain seconds.
func parseDuration(_ text: String) -> Duration? {
    if let seconds = Int(text), seconds > 0 { return .seconds(seconds) }
    var total = 0
    var number = ""
    for character in text {
        if character.isNumber {
            number.append(character)
            continue
        }
        guard let value = Int(number) else { return nil }
        switch character {
        case "s": total += value
        case "m": total += value * 60
        case "h": total += value * 3600
        case "d": total += value * 86_400
        default: return nil
        }
        number = ""
    }
    guard number.isEmpty, total > 0 else { return nil }
    return .seconds(total)
}
