import AWSCore
import XCTest

@testable import DeployKit

/// How files are cut into multipart parts (no store needed).
final class UploaderLayoutTests: XCTestCase {
    func testPartsAreEvenAndAMultipleOfConcurrency() {
        let uploader = S3Uploader(partSize: 16 << 20, concurrency: 6)
        let size: UInt64 = 200 << 20
        let layout = uploader.partLayout(size: size)
        // 200 MiB / 16 MiB = 12.5: 12 even parts (two full rounds of 6) instead of 12 + a half part alone at the end.
        XCTAssertEqual(layout.count, 12)
        XCTAssertEqual(layout.size, (size + 11) / 12)
        XCTAssertGreaterThanOrEqual(UInt64(layout.count) * layout.size, size)
        XCTAssertLessThan(UInt64(layout.count - 1) * layout.size, size, "the last part is not empty")
    }

    func testFewPartsRespectTheFiveMebibyteMinimum() {
        let uploader = S3Uploader(multipartThreshold: 8 << 20, partSize: 5 << 20, concurrency: 3)
        let size: UInt64 = 13 * 1_048_576 + 7
        let layout = uploader.partLayout(size: size)
        XCTAssertEqual(layout.size, 5 << 20, "13 MiB in 3 even parts would be under S3's 5 MiB minimum")
        XCTAssertEqual(layout.count, 3)
    }

    func testHugeFilesStayWithinTenThousandParts() {
        let uploader = S3Uploader(partSize: 5 << 20, concurrency: 8)
        let size: UInt64 = 100 << 30
        let layout = uploader.partLayout(size: size)
        XCTAssertLessThanOrEqual(layout.count, 10_000)
        XCTAssertEqual(layout.count % 8, 0)
        XCTAssertGreaterThanOrEqual(UInt64(layout.count) * layout.size, size)
        XCTAssertLessThan(UInt64(layout.count - 1) * layout.size, size)
    }

    func testSizesBetweenPartAndConcurrencyKeepTheirCount() {
        let uploader = S3Uploader(partSize: 16 << 20, concurrency: 6)
        let layout = uploader.partLayout(size: 70 << 20)
        // 5 parts (<= 6 lanes, all in flight at once), evened out: 14 MiB each.
        XCTAssertEqual(layout.count, 5)
        XCTAssertEqual(layout.size, 14 << 20)
    }

    /// The multipart settings from the environment: bytes, at least S3's 5 MiB part minimum;
    /// anything else is an error naming the variable.
    func testMultipartSettingsFromTheEnvironment() throws {
        let set = try S3Uploader.fromEnvironment(["DEPLOYER_MULTIPART_THRESHOLD": "8388608", "DEPLOYER_MULTIPART_PART_SIZE": "1024"])
        XCTAssertEqual(set.multipartThreshold, 8_388_608)
        XCTAssertEqual(set.partSize, S3Uploader.minimumPartSize, "raised to S3's minimum")
        XCTAssertEqual(try S3Uploader.fromEnvironment([:]).multipartThreshold, S3Uploader().multipartThreshold)
        for bad in ["lots", "-5", "0", "8MB"] {
            XCTAssertThrowsError(try S3Uploader.fromEnvironment(["DEPLOYER_MULTIPART_THRESHOLD": bad])) {
                XCTAssertTrue("\($0)".contains("DEPLOYER_MULTIPART_THRESHOLD='\(bad)' is not a number of bytes"), "\($0)")
            }
        }
    }
}
