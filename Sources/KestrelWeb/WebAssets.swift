public import Foundation

/// The web files Kestrel ships: the dashboard page, the chart component it shares with the backtest report, and the
/// style sheet of both. Each page is handed out as one self-contained document (style and scripts inlined): it loads
/// nothing else, so it works offline and from a file.
public enum WebAssets {
    /// The dashboard `GET /` serves, with the chart component and the styles inlined.
    public static func dashboardPage() throws -> String {
        try inline(file("dashboard.html"))
    }

    /// A report page: `body` (HTML) under `title`, the chart component and `script` inlined, and `data` (JSON) in a
    /// `<script type="application/json" id="report-data">` element for the script to read.
    public static func reportPage(title: String, body: String, data: Data, script: String) throws -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escapeHTML(title))</title>
        <style>
        \(try file("kestrel.css"))
        \(try file("report.css"))
        </style></head>
        <body>
        \(body)
        <script type="application/json" id="report-data">\(scriptSafe(data))</script>
        <script>
        \(try file("chart.js"))
        </script>
        <script>
        \(script)
        </script>
        </body></html>
        """
    }

    /// The backtest report's drawing script (reads the report's data and draws its charts).
    public static func backtestReportScript() throws -> String { try file("backtest-report.js") }

    /// Text for an HTML element or attribute.
    public static func escapeHTML(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// JSON placed inside a `<script>` element: a `<` is written as `\u003c`, so no text in the data (a symbol, a
    /// reason) can close the element.
    static func scriptSafe(_ json: Data) -> String {
        String(decoding: json, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
    }

    /// The page with its `/*kestrel:NAME*/` placeholders replaced by the files they name.
    static func inline(_ page: String) throws -> String {
        var page = page
        for (placeholder, name) in [("/*kestrel:style*/", "kestrel.css"), ("/*kestrel:chart*/", "chart.js"),
                                    ("/*kestrel:dashboard*/", "dashboard.js")] {
            page = page.replacingOccurrences(of: placeholder, with: try file(name))
        }
        return page
    }

    static func file(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: name)
        guard let resource = Bundle.module.url(forResource: url.deletingPathExtension().lastPathComponent,
                                               withExtension: url.pathExtension, subdirectory: "web"),
              let data = FileManager.default.contents(atPath: resource.path)
        else { throw WebAssetMissing(name: name) }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A web file is not where the executable expects its resources (the binary was copied without the
/// `Kestrel_KestrelWeb.resources` directory beside it).
public struct WebAssetMissing: Error, CustomStringConvertible {
    public var name: String
    public var description: String {
        "the web file \(name) is missing: copy the Kestrel_KestrelWeb.resources directory beside the kestrel executable"
    }
}
