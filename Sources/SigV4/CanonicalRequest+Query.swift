/// The canonical query string: names and values encoded, sorted.
extension CanonicalRequest {
    /// A name and value as ranges into a scratch buffer, with the input position for stable ties.
    struct Slot {
        var name: Range<Int>
        var value: Range<Int>
        var order: Int
    }

    static func writeCanonicalQuery(_ query: [QueryItem], _ extra: [QueryItem], encodedBound: Int, to out: inout ByteWriter) {
        let total = query.count + extra.count
        if total == 0 { return }
        // Keys and values are encoded into one scratch buffer; sorting moves small slots only.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(encodedBound, 1)) { scratchBuffer in
            withUnsafeTemporaryAllocation(of: Slot.self, capacity: total) { slots in
                var scratch = ByteWriter(scratchBuffer)
                var filled = 0
                func add(_ item: QueryItem) {
                    let keyStart = scratch.count
                    scratch.putEncoded(item.name, keepSlash: false)
                    let valueStart = scratch.count
                    scratch.putEncoded(item.value, keepSlash: false)
                    (slots.baseAddress.unsafelyUnwrapped + filled).initialize(
                        to: Slot(name: keyStart..<valueStart, value: valueStart..<scratch.count, order: filled))
                    filled += 1
                }
                for item in query { add(item) }
                for item in extra { add(item) }
                let bytes = UnsafeBufferPointer(rebasing: scratchBuffer[0..<scratch.count])
                sortSlots(slots) { left, right in
                    let leftKey = UnsafeBufferPointer(rebasing: bytes[left.name])
                    let rightKey = UnsafeBufferPointer(rebasing: bytes[right.name])
                    if !bytesEqual(leftKey, rightKey) { return lexicographicallyPrecedes(leftKey, rightKey) }
                    return lexicographicallyPrecedes(UnsafeBufferPointer(rebasing: bytes[left.value]), UnsafeBufferPointer(rebasing: bytes[right.value]))
                }
                for index in 0..<total {
                    if index > 0 { out.put(UInt8(ascii: "&")) }
                    out.put(UnsafeBufferPointer(rebasing: bytes[slots[index].name]))
                    out.put(UInt8(ascii: "="))
                    out.put(UnsafeBufferPointer(rebasing: bytes[slots[index].value]))
                }
                _ = slots.baseAddress.map { $0.deinitialize(count: total) }
            }
        }
    }

    /// Insertion sort for the usual handful of entries; the library sort beyond that.
    static func sortSlots(_ slots: UnsafeMutableBufferPointer<Slot>, by precedes: (Slot, Slot) -> Bool) {
        if slots.count > 24 {
            var slots = slots
            slots.sort(by: precedes)
            return
        }
        var index = 1
        while index < slots.count {
            let item = slots[index]
            var position = index
            while position > 0, precedes(item, slots[position - 1]) {
                slots[position] = slots[position - 1]
                position -= 1
            }
            slots[position] = item
            index += 1
        }
    }
}
