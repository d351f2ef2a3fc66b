extension String {
    /// The name upper-cased, as asset and group tables are keyed. Asset names are upper-case ASCII almost always:
    /// only the others pay for a new string (this is asked at every scan and every entry check).
    var upperCasedAssetName: String {
        let isUpper = utf8.allSatisfy { $0 < 0x80 && !(UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        return isUpper ? self : uppercased()
    }
}
