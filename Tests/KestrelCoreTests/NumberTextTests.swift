import KestrelCore
import Testing

@Suite struct NumberTextTests {
    @Test func decimalsFollowTheSizeOfTheValue() {
        #expect(NumberText.readable(43_210.987) == "43211.0")
        #expect(NumberText.readable(12.3456) == "12.35")
        #expect(NumberText.readable(0.012345) == "0.0123")
        #expect(NumberText.readable(0.0012345) == "0.001235")
        #expect(NumberText.readable(.nan) == "n/a")
        #expect(NumberText.percent(0.0123) == "1.23%")
    }

    @Test func fixedKeepsTrailingZerosAndCompactDropsThemForWholeNumbers() {
        #expect(NumberText.fixed(2.5, places: 2) == "2.50")
        #expect(NumberText.fixed(-0.125, places: 1) == "-0.1")
        #expect(NumberText.fixed(7.4, places: 0) == "7")
        #expect(NumberText.fixed(.infinity, places: 2) == "n/a")
        #expect(NumberText.compact(3600) == "3600")
        #expect(NumberText.compact(10_000.456) == "10000.46")
    }
}
