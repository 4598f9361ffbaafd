#pragma once

#include <QString>

namespace l402 {

// Text from a server, an invoice or a macaroon is shown to people in terminals and logs.
// Control characters (C0, DEL, C1), line and paragraph separators and bidirectional
// overrides are replaced by \u{XXXX}, so hostile text cannot move the cursor, fake extra
// lines or reverse what the user reads.
inline QString escapeForTerminal(QStringView text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        const bool control = u < 0x20 || (u >= 0x7f && u < 0xa0);
        const bool separator = u == 0x2028 || u == 0x2029;
        const bool bidi = (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069) ||
                          u == 0x200e || u == 0x200f || u == 0x061c;
        if (control || separator || bidi) {
            out += QStringLiteral("\\u{%1}").arg(int(u), 4, 16, QLatin1Char('0'));
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace l402
