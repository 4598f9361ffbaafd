#include "ui/Widgets.h"

#include "core/util/Money.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QFrame>
#include <QLabel>
#include <QVBoxLayout>

namespace l402::ui {

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

} // namespace l402::ui
