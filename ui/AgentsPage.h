#pragma once

#include "core/service/WalletService.h"

#include "ui/Widgets.h"
#include <QAbstractTableModel>
#include <QList>
#include <QPointer>

#include <QWidget>

class QLabel;
class QPushButton;
class QStackedWidget;
class QTreeView;

namespace l402::ui {

// The agents of the agent book, by name, with what each spent. Display text in DisplayRole,
// raw values (seconds, msat, counts) in RawValueRole, the agent's name in AgentNameRole.
class AgentsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Added, SpentToday, SpentInAll, Payments, ColumnCount };
    enum Role { AgentNameRole = Qt::UserRole, RawValueRole };

    explicit AgentsModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Replaces every row (a model reset), sorted by name.
    void setAgents(QList<service::AgentView> agents);
    const service::AgentView* agentAt(int row) const;
    int rowOf(const QString& name) const; // -1 when absent

private:
    QList<service::AgentView> m_agents;
};

// The agents that may use the wallet's proxy: add one (its secret is shown once, in an
// AgentSecretDialog, and kept nowhere here) or revoke one.
class AgentsPage : public QWidget {
    Q_OBJECT
public:
    explicit AgentsPage(QWidget* parent = nullptr);

    void setService(service::WalletService* service);
    // Loads the agents again (asynchronously); the selection survives when its agent does.
    void refresh();

protected:
    void showEvent(QShowEvent* event) override;

private:
    QString selectedName() const;
    void updateActions();
    void showProblem(const QString& message);
    void newAgent();
    void confirmRevoke();

    QPointer<service::WalletService> m_service;
    QList<QMetaObject::Connection> m_connections;
    PageReads m_reads;

    AgentsModel* m_model = nullptr;
    QStackedWidget* m_stack = nullptr;
    QTreeView* m_view = nullptr;
    QLabel* m_problem = nullptr;
    QPushButton* m_newAgent = nullptr;
    QPushButton* m_revoke = nullptr;
};

} // namespace l402::ui
