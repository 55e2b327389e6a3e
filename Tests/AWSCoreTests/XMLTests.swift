import XCTest

@testable import AWSCore

final class XMLTests: XCTestCase {
    func testParsesListObjectsShape() throws {
        let root = try XML.parse(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>false</IsTruncated>
            <Contents><Key>a&amp;b &#x4E2D;&#20013;</Key><Size>3</Size><ETag>&quot;e1&quot;</ETag></Contents>
            <Contents><Key><![CDATA[x<y&z]]></Key><Size>4</Size></Contents><!-- comment --><Empty/></ListBucketResult>
            """)
        XCTAssertEqual(root.name, "ListBucketResult")
        XCTAssertEqual(root.children("Contents").compactMap { $0.string("Key") }, ["a&b 中中", "x<y&z"])
        XCTAssertEqual(root.child("Contents")?.string("ETag"), "\"e1\"")
        XCTAssertNotNil(root.child("Empty"))
        XCTAssertEqual(root.attributes["xmlns"], "http://s3.amazonaws.com/doc/2006-03-01/")
    }

    func testRejectsMalformed() {
        XCTAssertThrowsError(try XML.parse("<a><b></a>"))
        XCTAssertThrowsError(try XML.parse("<a>&bogus;</a>"))
        XCTAssertThrowsError(try XML.parse("not xml"))
        XCTAssertThrowsError(try XML.parse("<a>"))
    }

    func testEscapeRoundTrip() throws {
        let text = "<tag a=\"1\"> & 'x'"
        XCTAssertEqual(try XML.parse("<v>\(XML.escape(text))</v>").text, text)
    }
}
