#pragma once

#include <QString>

#include <optional>

class QFrame;
class QLabel;
class QWidget;

namespace l402::ui {

// Shared look of the pages: one heading style, one card style, one way to write amounts and
// times, so every page reads alike.

// The page title (1.5x, demi-bold).
QLabel* pageHeading(const QString& text, QWidget* parent);
// A muted one-line explanation under a heading.
QLabel* pageExplanation(const QString& text, QWidget* parent);
// One summary figure: a large value above a muted caption. The value label is named
// `objectName` so tests and updates find it.
QFrame* summaryCard(const QString& caption, const QString& value, const QString& objectName,
                    QWidget* parent);
// "1,234 sat" / "1,234.567 sat" from msat.
QString satText(qint64 msat);
QString satText(const std::optional<qint64>& msat); // "—" when none
// "2026-11-22 14:05" in local time.
QString timeText(qint64 secondsSinceEpoch);
// "in 3 h 20 min", "in 45 s", "2 d ago".
QString relativeText(qint64 secondsSinceEpoch, qint64 now);
// The monospace font for secrets, hashes and code.
void useFixedFont(QWidget* widget);

} // namespace l402::ui
