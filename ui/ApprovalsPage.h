#pragma once

#include "core/policy/ApprovalBroker.h"
#include "core/service/WalletService.h"

#include <QAbstractTableModel>
#include <QPointer>
#include <QWidget>

class QStackedWidget;
class QTableView;
class QTimer;

namespace l402::ui {

// Payments waiting for an answer, in arrival order.
class ApprovalsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Site, Agent, Amount, Description, TimeLeft, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;

    void add(const policy::ApprovalRequest& request);
    void remove(const QString& id);
    void replaceAll(const QList<policy::ApprovalRequest>& requests);
    const policy::ApprovalRequest* at(int row) const;
    // Repaints the time-left column.
    void tick();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QList<policy::ApprovalRequest> m_requests;
};

class ApprovalsPage : public QWidget {
    Q_OBJECT
public:
    explicit ApprovalsPage(QWidget* parent = nullptr);
    void setService(service::WalletService* service);
    ApprovalsModel* model() const { return m_model; }

Q_SIGNALS:
    // Answer the selected one (the main window routes it through the prompt's queue).
    void answerRequested(const QString& id, bool approve);
    void promptRequested();

private:
    QPointer<service::WalletService> m_service;
    ApprovalsModel* m_model = nullptr;
    QStackedWidget* m_stack = nullptr;
    QTableView* m_table = nullptr;
    QTimer* m_tick = nullptr;
};

} // namespace l402::ui
