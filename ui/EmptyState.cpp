#include "ui/EmptyState.h"

#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QVBoxLayout>

namespace l402::ui {

EmptyState::EmptyState(const QString& iconPath, const QString& title, const QString& explanation,
                       QWidget* parent)
    : QWidget(parent)
{
    // A fixed-width column centred by stretches: widgets added to a layout with an alignment
    // flag lose height-for-width, which would clip the wrapped explanation to one line.
    constexpr int kColumnWidth = 440;
    auto* row = new QHBoxLayout(this);
    auto* column = new QWidget(this);
    column->setFixedWidth(kColumnWidth);
    row->addStretch(1);
    row->addWidget(column);
    row->addStretch(1);

    auto* layout = new QVBoxLayout(column);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(8);
    layout->addStretch(2);

    auto* icon = new QLabel(column);
    icon->setPixmap(QIcon(iconPath).pixmap(QSize(56, 56), devicePixelRatioF()));
    icon->setAlignment(Qt::AlignHCenter);
    icon->setEnabled(false); // the disabled palette renders it muted in light and dark themes
    layout->addWidget(icon);

    auto* heading = new QLabel(title, column);
    heading->setObjectName(QStringLiteral("emptyStateTitle"));
    QFont headingFont = heading->font();
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.3);
    headingFont.setWeight(QFont::DemiBold);
    heading->setFont(headingFont);
    heading->setAlignment(Qt::AlignHCenter);
    layout->addWidget(heading);

    auto* body = new QLabel(explanation, column);
    body->setObjectName(QStringLiteral("emptyStateExplanation"));
    body->setWordWrap(true);
    body->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    body->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(body);

    layout->addStretch(3);
}

} // namespace l402::ui
