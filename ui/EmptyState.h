#pragma once

#include <QWidget>

namespace l402::ui {

// The calm "nothing here yet" panel every page shows before it has data: an icon, one
// title and one sentence saying what will appear and how to make it appear.
class EmptyState : public QWidget {
    Q_OBJECT
public:
    EmptyState(const QString& iconPath, const QString& title, const QString& explanation,
               QWidget* parent = nullptr);
};

} // namespace l402::ui
