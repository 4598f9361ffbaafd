#include "ui/EmptyState.h"

#include <QIcon>
#include <QLabel>
#include <QVBoxLayout>

namespace l402::ui {

EmptyState::EmptyState(const QString& iconPath, const QString& title, const QString& explanation,
                       QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->addStretch(2);

    auto* icon = new QLabel(this);
    icon->setPixmap(QIcon(iconPath).pixmap(QSize(56, 56), devicePixelRatioF()));
    icon->setAlignment(Qt::AlignHCenter);
    icon->setEnabled(false); // the disabled palette renders it muted in light and dark themes
    layout->addWidget(icon);

    auto* heading = new QLabel(title, this);
    QFont headingFont = heading->font();
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.3);
    headingFont.setWeight(QFont::DemiBold);
    heading->setFont(headingFont);
    heading->setAlignment(Qt::AlignHCenter);
    layout->addWidget(heading);

    auto* body = new QLabel(explanation, this);
    body->setWordWrap(true);
    body->setAlignment(Qt::AlignHCenter);
    body->setMaximumWidth(440);
    body->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(body, 0, Qt::AlignHCenter);

    layout->addStretch(3);
}

} // namespace l402::ui
