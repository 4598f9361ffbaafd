#pragma once

#include <QColor>
#include <QMessageBox>
#include <QString>

#include <functional>
#include <optional>

class QAbstractItemModel;
class QEvent;
class QFrame;
class QLabel;
class QPalette;
class QProgressBar;
class QPushButton;
class QTimer;
class QTreeView;
class QWidget;

namespace l402::ui {

// How a page reads the wallet: one read at a time (a change while one runs asks for one more
// when it ends), none while the page is hidden (it catches up when shown), and none of the
// answers from a wallet that was since replaced. Pages call start() in refresh(), pass
// generation() with the read and finished(generation) with its answer.
class PageReads {
public:
    // True when a read should start now; otherwise it is remembered for later.
    bool start(const QWidget* page);
    // An answer arrived: false when it belongs to a replaced wallet (ignore it). `again` is
    // set when another read is wanted now.
    bool finished(quint64 generation, bool& again);
    // A new wallet: reads sent to the old one never answer.
    void reset();
    quint64 generation() const { return m_generation; }
    // Changes arrived while the page was hidden.
    bool wantedWhenShown() const { return m_whenShown; }

private:
    bool m_running = false;
    bool m_again = false;
    bool m_whenShown = false;
    quint64 m_generation = 0;
};

// Shared look of the pages: one heading style, one card style, one way to write amounts and
// times, so every page reads alike.

// The page title (1.5x, demi-bold).
QLabel* pageHeading(const QString& text, QWidget* parent);
// A muted, word-wrapped explanation: under a heading, a field or a section.
QLabel* pageExplanation(const QString& text, QWidget* parent);
// A demi-bold caption over a part of a page or dialog.
QLabel* sectionLabel(const QString& text, QWidget* parent);
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

// --- Colours that read on light and dark windows alike ---

// A dark palette: its window is darker than mid-grey.
bool isDarkPalette(const QPalette& palette);
// Text colours for errors, warnings and success: deep on a light window, pale on a dark one.
QColor errorColour(const QPalette& palette);
QColor warningColour(const QPalette& palette);
QColor successColour(const QPalette& palette);
// Gives `label` its own text colour. WindowText and Text are both set and the foreground role
// is fixed to WindowText, so the colour holds inside item views too (where a label's
// foreground role would follow the viewport's Text).
void setTextColour(QLabel* label, const QColor& colour);
// For changeEvent(): when `event` says the palette changed (the widget's own or the
// application's), queues `restyle` for `widget` and returns true. Queued, because a new
// palette reaches the widgets one by one in no defined order: colours taken from a label's
// palette are right only once all of them have it.
bool restyleOnPaletteChange(QWidget* widget, const QEvent* event, std::function<void()> restyle);

// --- Message lines ---

// A hidden, word-wrapped line named `objectName` for a status or an error, selectable so it
// can be copied.
QLabel* statusLabel(const QString& objectName, QWidget* parent);
// What a message line says, by its colour: plain, muted, or an error, warning or success
// colour from above.
enum class Tone { Normal, Muted, Error, Warning, Success };
// A hidden, word-wrapped message line named `objectName`, muted until showMessage().
QLabel* messageLabel(const QString& objectName, QWidget* parent);
// Shows `text` in `tone` on a message line; an empty text hides the line.
void showMessage(QLabel* label, const QString& text, Tone tone);
// Colours every message line under `widget` again for its palette now: after a palette
// change (see restyleOnPaletteChange).
void applyTones(QWidget* widget);

// A problem the user should read: white on a deep red band, legible in light and dark
// palettes alike (the same band as the window's "wallet is locked"). Hidden until given text;
// `objectName` also names it in its style sheet.
QLabel* problemLabel(const QString& objectName, QWidget* parent);

// The answers to a question that spends or loosens (the approval prompt, the owner's
// confirmation): Deny is the default button, so Enter never says yes, and the yes button stays
// disabled until `arm` (single-shot, `armDelayMs`) fires after arm->start(), so a click meant
// for something else never answers a question that just appeared. `armable` says whether
// there is still something to answer when it fires.
struct DenyFirstButtons {
    QPushButton* deny = nullptr;
    QPushButton* yes = nullptr;
    QTimer* arm = nullptr;
};
DenyFirstButtons denyFirstButtons(QWidget* parent, const QString& yesText,
                                  const QString& objectName, const QString& denyObjectName,
                                  int armDelayMs, std::function<bool()> armable);

// A question's countdown: a thin bar and the line under it ("Denied automatically in 12 s").
struct Countdown {
    QProgressBar* bar = nullptr;
    QLabel* text = nullptr;
};
Countdown countdownWidgets(QWidget* parent, const QString& objectPrefix);

// A window-modal question that does not block: `onConfirm` runs when the user picks the
// confirming button. The box is a child of `parent`, so tests find it by `objectName`.
void askToConfirm(QWidget* parent, QMessageBox::Icon icon, const QString& objectName,
                  const QString& title, const QString& text, const QString& detail,
                  const QString& confirmText, std::function<void()> onConfirm);

// Puts a secret on the clipboard with the hint that keeps it out of clipboard managers'
// history, where the desktop supports the hint.
void copySecret(const QString& text);

// --- New passphrases ---

// The shortest passphrase the forms accept (the wallet refuses shorter ones too).
inline constexpr int kMinimumPassphraseLength = 8;
enum class PassphraseProblem { None, TooShort, Differ };
// What is wrong with a new passphrase typed twice, checked in that order: too short, or the
// two entries differ.
PassphraseProblem passphraseProblem(const QString& passphrase, const QString& confirmation);
// The problem in a sentence for the user; empty for None.
QString passphraseProblemText(PassphraseProblem problem);

// A read-only list of rows, one selected at a time, with alternating row colours: columns fit
// their contents and `stretchColumn` takes the rest of the width.
QTreeView* rowList(QAbstractItemModel* model, int stretchColumn, const QString& objectName,
                   QWidget* parent);

} // namespace l402::ui
