#include "ui/Widgets.h"

#include "core/util/Money.h"

#include <QClipboard>
#include <QCoreApplication>
#include <QDateTime>
#include <QEvent>
#include <QFontDatabase>
#include <QFrame>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLabel>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>
#include <QWidget>

#include <utility>

namespace l402::ui {

bool PageReads::start(const QWidget* page)
{
    if (!page->isVisible()) {
        m_whenShown = true;
        return false;
    }
    m_whenShown = false;
    if (m_running) {
        m_again = true;
        return false;
    }
    m_running = true;
    m_again = false;
    return true;
}

bool PageReads::finished(quint64 generation, bool& again)
{
    again = false;
    if (generation != m_generation) {
        return false;
    }
    m_running = false;
    again = std::exchange(m_again, false);
    return true;
}

void PageReads::reset()
{
    ++m_generation;
    m_running = false;
    m_again = false;
}

namespace {

// The tone a message line was given, kept on the label for applyTones().
constexpr auto kToneProperty = "l402Tone";

void applyTone(QLabel* label)
{
    const auto tone = static_cast<Tone>(label->property(kToneProperty).toInt());
    switch (tone) {
    case Tone::Normal:
    case Tone::Muted:
        label->setPalette(QPalette());
        label->setForegroundRole(tone == Tone::Muted ? QPalette::PlaceholderText
                                                     : QPalette::WindowText);
        return;
    case Tone::Error:
        setTextColour(label, errorColour(label->palette()));
        return;
    case Tone::Warning:
        setTextColour(label, warningColour(label->palette()));
        return;
    case Tone::Success:
        setTextColour(label, successColour(label->palette()));
        return;
    }
}

} // namespace

QLabel* pageHeading(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 1.5);
    font.setWeight(QFont::DemiBold);
    label->setFont(font);
    return label;
}

QLabel* pageExplanation(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    label->setWordWrap(true);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

QLabel* sectionLabel(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    QFont font = label->font();
    font.setWeight(QFont::DemiBold);
    label->setFont(font);
    return label;
}

QFrame* summaryCard(const QString& caption, const QString& value, const QString& objectName,
                    QWidget* parent)
{
    auto* card = new QFrame(parent);
    card->setFrameShape(QFrame::StyledPanel);
    card->setObjectName(QStringLiteral("summaryCard"));
    auto* layout = new QVBoxLayout(card);
    auto* valueLabel = new QLabel(value, card);
    valueLabel->setObjectName(objectName);
    QFont font = valueLabel->font();
    font.setPointSizeF(font.pointSizeF() * 1.6);
    font.setWeight(QFont::DemiBold);
    valueLabel->setFont(font);
    auto* captionLabel = new QLabel(caption, card);
    captionLabel->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(valueLabel);
    layout->addWidget(captionLabel);
    return card;
}

QString satText(qint64 msat)
{
    return formatMsatAsSat(static_cast<uint64_t>(std::max<qint64>(0, msat)));
}

QString satText(const std::optional<qint64>& msat)
{
    return msat ? satText(*msat) : QStringLiteral("—");
}

QString timeText(qint64 secondsSinceEpoch)
{
    return QDateTime::fromSecsSinceEpoch(secondsSinceEpoch)
        .toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QString relativeText(qint64 secondsSinceEpoch, qint64 now)
{
    const qint64 delta = secondsSinceEpoch - now;
    const qint64 span = std::abs(delta);
    QString amount;
    if (span < 60) {
        amount = QObject::tr("%1 s").arg(span);
    } else if (span < 3600) {
        amount = QObject::tr("%1 min").arg(span / 60);
    } else if (span < 86400) {
        amount = span % 3600 >= 60
                     ? QObject::tr("%1 h %2 min").arg(span / 3600).arg(span % 3600 / 60)
                     : QObject::tr("%1 h").arg(span / 3600);
    } else {
        amount = QObject::tr("%1 d").arg(span / 86400);
    }
    return delta >= 0 ? QObject::tr("in %1").arg(amount) : QObject::tr("%1 ago").arg(amount);
}

void useFixedFont(QWidget* widget)
{
    widget->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
}

bool isDarkPalette(const QPalette& palette)
{
    return palette.color(QPalette::Window).lightness() < 128;
}

QColor errorColour(const QPalette& palette)
{
    return isDarkPalette(palette) ? QColor(0xf2, 0x8b, 0x82) : QColor(0xb3, 0x26, 0x1e);
}

QColor warningColour(const QPalette& palette)
{
    return isDarkPalette(palette) ? QColor(0xfd, 0xd6, 0x63) : QColor(0x8a, 0x5a, 0x00);
}

QColor successColour(const QPalette& palette)
{
    return isDarkPalette(palette) ? QColor(0x81, 0xc9, 0x95) : QColor(0x1e, 0x7d, 0x32);
}

void setTextColour(QLabel* label, const QColor& colour)
{
    QPalette palette;
    palette.setColor(QPalette::WindowText, colour);
    palette.setColor(QPalette::Text, colour);
    label->setPalette(palette);
    label->setForegroundRole(QPalette::WindowText);
}

bool restyleOnPaletteChange(QWidget* widget, const QEvent* event, std::function<void()> restyle)
{
    if (event->type() != QEvent::PaletteChange &&
        event->type() != QEvent::ApplicationPaletteChange) {
        return false;
    }
    QMetaObject::invokeMethod(widget, std::move(restyle), Qt::QueuedConnection);
    return true;
}

QLabel* statusLabel(const QString& objectName, QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->hide();
    return label;
}

QLabel* messageLabel(const QString& objectName, QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setProperty(kToneProperty, static_cast<int>(Tone::Muted));
    label->hide();
    return label;
}

void showMessage(QLabel* label, const QString& text, Tone tone)
{
    label->setProperty(kToneProperty, static_cast<int>(tone));
    applyTone(label);
    label->setText(text);
    label->setVisible(!text.isEmpty());
}

void applyTones(QWidget* widget)
{
    for (QLabel* label : widget->findChildren<QLabel*>()) {
        if (label->property(kToneProperty).isValid()) {
            applyTone(label);
        }
    }
}

QLabel* problemLabel(const QString& objectName, QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setMargin(8);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setStyleSheet(
        QStringLiteral("#%1 { background: #b3261e; color: #ffffff; border-radius: 4px; }")
            .arg(objectName));
    label->hide();
    return label;
}

DenyFirstButtons denyFirstButtons(QWidget* parent, const QString& yesText,
                                  const QString& objectName, const QString& denyObjectName,
                                  int armDelayMs, std::function<bool()> armable)
{
    DenyFirstButtons buttons;
    buttons.deny = new QPushButton(QCoreApplication::translate("l402::ui", "Deny"), parent);
    buttons.deny->setObjectName(denyObjectName);
    buttons.yes = new QPushButton(yesText, parent);
    buttons.yes->setObjectName(objectName);
    buttons.deny->setDefault(true);
    buttons.yes->setAutoDefault(false);
    buttons.arm = new QTimer(parent);
    buttons.arm->setSingleShot(true);
    buttons.arm->setInterval(armDelayMs);
    QObject::connect(
        buttons.arm, &QTimer::timeout, buttons.yes,
        [yes = buttons.yes, armable = std::move(armable)] { yes->setEnabled(armable()); });
    return buttons;
}

Countdown countdownWidgets(QWidget* parent, const QString& objectPrefix)
{
    Countdown countdown;
    countdown.bar = new QProgressBar(parent);
    countdown.bar->setObjectName(objectPrefix + QStringLiteral("Countdown"));
    countdown.bar->setTextVisible(false);
    countdown.bar->setMaximumHeight(6);
    countdown.text = new QLabel(parent);
    countdown.text->setObjectName(objectPrefix + QStringLiteral("CountdownText"));
    return countdown;
}

void askToConfirm(QWidget* parent, QMessageBox::Icon icon, const QString& objectName,
                  const QString& title, const QString& text, const QString& detail,
                  const QString& confirmText, std::function<void()> onConfirm)
{
    auto* box = new QMessageBox(icon, title, text, QMessageBox::NoButton, parent);
    box->setObjectName(objectName);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setTextFormat(Qt::PlainText);
    box->setInformativeText(detail);
    QPushButton* confirm = box->addButton(confirmText, QMessageBox::AcceptRole);
    QPushButton* cancel = box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(cancel);
    box->setEscapeButton(cancel);
    QObject::connect(box, &QMessageBox::buttonClicked, parent,
                     [confirm, onConfirm = std::move(onConfirm)](QAbstractButton* clicked) {
                         if (clicked == confirm) {
                             onConfirm();
                         }
                     });
    box->open();
}

void copySecret(const QString& text)
{
    auto* mime = new QMimeData();
    mime->setText(text);
    mime->setData(QStringLiteral("x-kde-passwordManagerHint"), QByteArrayLiteral("secret"));
    QGuiApplication::clipboard()->setMimeData(mime);
}

PassphraseProblem passphraseProblem(const QString& passphrase, const QString& confirmation)
{
    if (passphrase.size() < kMinimumPassphraseLength) {
        return PassphraseProblem::TooShort;
    }
    if (passphrase != confirmation) {
        return PassphraseProblem::Differ;
    }
    return PassphraseProblem::None;
}

QString passphraseProblemText(PassphraseProblem problem)
{
    switch (problem) {
    case PassphraseProblem::None:
        return {};
    case PassphraseProblem::TooShort:
        return QObject::tr("The passphrase needs at least %1 characters.")
            .arg(kMinimumPassphraseLength);
    case PassphraseProblem::Differ:
        return QObject::tr("The two passphrases differ. Type the same passphrase twice.");
    }
    return {};
}

QTreeView* rowList(QAbstractItemModel* model, int stretchColumn, const QString& objectName,
                   QWidget* parent)
{
    auto* view = new QTreeView(parent);
    view->setObjectName(objectName);
    view->setModel(model);
    view->setRootIsDecorated(false);
    view->setUniformRowHeights(true);
    view->setAlternatingRowColors(true);
    view->setAllColumnsShowFocus(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    QHeaderView* header = view->header();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(stretchColumn, QHeaderView::Stretch);
    return view;
}

} // namespace l402::ui
