#include "ui/AgentsPage.h"

#include "core/policy/Agents.h"
#include "ui/AgentSecretDialog.h"
#include "ui/EmptyState.h"
#include "ui/Widgets.h"

#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QShowEvent>
#include <QStackedWidget>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

namespace l402::ui {

// --- AgentsModel ---

AgentsModel::AgentsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

int AgentsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_agents.size());
}

int AgentsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AgentsModel::data(const QModelIndex& index, int role) const
{
    // The invalid index is a legitimate question (it has no data); a wrong valid one is a bug.
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const service::AgentView& agent = m_agents.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Name:
            return agent.name;
        case Added:
            return timeText(agent.createdAt);
        case SpentToday:
            return satText(agent.spentTodayMsat);
        case SpentInAll:
            return satText(agent.spentMsat);
        case Payments:
            return QString::number(agent.payments);
        }
        return {};
    case Qt::ToolTipRole:
        switch (index.column()) {
        case Name:
            return tr("Reaches the proxy as “%1” with its own secret.").arg(agent.name);
        case SpentToday:
            return tr("Succeeded payments since midnight, fees included.");
        case SpentInAll:
            return tr("Every succeeded payment, fees included.");
        case Payments:
            return tr("Succeeded payments in all.");
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == SpentToday || index.column() == SpentInAll ||
            index.column() == Payments) {
            return int(Qt::AlignRight | Qt::AlignVCenter);
        }
        return {};
    case AgentNameRole:
        return agent.name;
    case RawValueRole:
        switch (index.column()) {
        case Name:
            return agent.name;
        case Added:
            return agent.createdAt;
        case SpentToday:
            return agent.spentTodayMsat;
        case SpentInAll:
            return agent.spentMsat;
        case Payments:
            return agent.payments;
        }
        return {};
    }
    return {};
}

QVariant AgentsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) {
        return {};
    }
    if (role == Qt::TextAlignmentRole) {
        return int((section == Name || section == Added ? Qt::AlignLeft : Qt::AlignRight) |
                   Qt::AlignVCenter);
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
    case Name:
        return tr("Name");
    case Added:
        return tr("Added");
    case SpentToday:
        return tr("Spent today");
    case SpentInAll:
        return tr("Spent in all");
    case Payments:
        return tr("Payments");
    }
    return {};
}

void AgentsModel::setAgents(QList<service::AgentView> agents)
{
    std::stable_sort(agents.begin(), agents.end(),
                     [](const service::AgentView& a, const service::AgentView& b) {
                         return a.name.compare(b.name, Qt::CaseInsensitive) < 0;
                     });
    beginResetModel();
    m_agents = std::move(agents);
    endResetModel();
}

const service::AgentView* AgentsModel::agentAt(int row) const
{
    return row >= 0 && row < m_agents.size() ? &m_agents.at(row) : nullptr;
}

int AgentsModel::rowOf(const QString& name) const
{
    for (qsizetype row = 0; row < m_agents.size(); ++row) {
        if (m_agents.at(row).name == name) {
            return int(row);
        }
    }
    return -1;
}

// --- The page ---

namespace {

constexpr quint16 kDefaultProxyPort = 8402;

// What the wallet answers when an agent is added: the new credential (shown once) and where
// the proxy listens, read on the service's thread in the same call.
struct AddedAgent {
    Result<policy::NewAgent> agent;
    quint16 proxyPort = kDefaultProxyPort;
    QString dataDir;
};

// Asks for the new agent's name, says what a name may hold, and adds the agent. The secret
// goes straight to `onAdded`; this dialog never holds it.
class NewAgentDialog : public QDialog {
    Q_DECLARE_TR_FUNCTIONS(NewAgentDialog)
public:
    using Added = std::function<void(const QString& name, const QString& secret, quint16 proxyPort,
                                     const QString& dataDir)>;

    NewAgentDialog(service::WalletService* service, QStringList takenNames, Added onAdded,
                   QWidget* parent)
        : QDialog(parent)
        , m_service(service)
        , m_takenNames(std::move(takenNames))
        , m_onAdded(std::move(onAdded))
    {
        setObjectName(QStringLiteral("newAgentDialog"));
        setWindowTitle(tr("New agent"));
        setMinimumWidth(420);
        auto* layout = new QVBoxLayout(this);

        auto* form = new QFormLayout();
        m_name = new QLineEdit(this);
        m_name->setObjectName(QStringLiteral("newAgentName"));
        m_name->setPlaceholderText(tr("e.g. research-bot"));
        m_name->setMaxLength(64);
        form->addRow(tr("Name:"), m_name);
        layout->addLayout(form);

        m_hint = new QLabel(this);
        m_hint->setObjectName(QStringLiteral("newAgentHint"));
        m_hint->setWordWrap(true);
        m_hint->setTextFormat(Qt::PlainText);
        m_hint->setForegroundRole(QPalette::PlaceholderText);
        layout->addWidget(m_hint);

        auto* buttons = new QDialogButtonBox(this);
        m_create = buttons->addButton(tr("Create"), QDialogButtonBox::AcceptRole);
        m_create->setObjectName(QStringLiteral("createAgent"));
        m_create->setDefault(true);
        buttons->addButton(QDialogButtonBox::Cancel);
        layout->addWidget(buttons);

        // The dialog stays open until the wallet has added the agent, to show a refusal.
        connect(m_create, &QPushButton::clicked, this, [this] { create(); });
        connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
        connect(m_name, &QLineEdit::textChanged, this, [this] { validate(); });
        validate();
    }

private:
    void validate()
    {
        const QString name = m_name->text();
        const bool taken = m_takenNames.contains(name);
        const bool valid = policy::AgentBook::validName(name) && !taken;
        m_create->setEnabled(valid && !m_busy);
        if (taken) {
            m_hint->setText(tr("There is already an agent named “%1”.").arg(name));
        } else {
            m_hint->setText(tr("1 to 64 letters (A–Z, a–z), digits, dots, dashes or "
                               "underscores; no spaces. The name is part of the proxy "
                               "address the agent uses."));
        }
    }

    void create()
    {
        const QString name = m_name->text();
        if (!m_service || !policy::AgentBook::validName(name) || m_busy) {
            return;
        }
        m_busy = true;
        m_name->setEnabled(false);
        validate();
        service::ask(
            m_service.data(), this,
            [name](service::WalletService& service) {
                AddedAgent added{service.addAgent(name), service.proxyPort(), service.dataDir()};
                if (added.proxyPort == 0) {
                    // Not listening now: the port it will listen on when it starts.
                    auto settings = service.settings();
                    added.proxyPort = settings && settings->proxyPort != 0 ? settings->proxyPort
                                                                           : kDefaultProxyPort;
                }
                return added;
            },
            [this](AddedAgent added) {
                m_busy = false;
                m_name->setEnabled(true);
                if (!added.agent) {
                    validate();
                    m_hint->setText(tr("The wallet did not add the agent: %1")
                                        .arg(added.agent.error().message));
                    return;
                }
                const Added onAdded = m_onAdded;
                accept();
                onAdded(added.agent->name, added.agent->secret, added.proxyPort, added.dataDir);
            });
    }

    QPointer<service::WalletService> m_service;
    QStringList m_takenNames;
    Added m_onAdded;
    QLineEdit* m_name = nullptr;
    QLabel* m_hint = nullptr;
    QPushButton* m_create = nullptr;
    bool m_busy = false;
};

} // namespace

AgentsPage::AgentsPage(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("agentsPage"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 20);

    auto* top = new QHBoxLayout();
    top->addWidget(pageHeading(tr("Agents"), this));
    top->addStretch(1);
    m_newAgent = new QPushButton(tr("New agent…"), this);
    m_newAgent->setObjectName(QStringLiteral("newAgent"));
    m_newAgent->setEnabled(false); // until there is a wallet to add to
    top->addWidget(m_newAgent);
    layout->addLayout(top);
    layout->addWidget(pageExplanation(
        tr("Each agent reaches the wallet's proxy with its own name and secret, so its "
           "spending can be limited on the Budgets page and revoked here on its own."),
        this));
    m_problem = problemLabel(QStringLiteral("agentsProblem"), this);
    layout->addWidget(m_problem);

    m_stack = new QStackedWidget(this);
    m_stack->addWidget(new EmptyState(QStringLiteral(":/icons/agents.svg"), tr("No agents yet"),
                                      tr("Each agent gets its own credential for the local "
                                         "proxy, so its spending can be limited and revoked on "
                                         "its own."),
                                      m_stack));

    auto* list = new QWidget(m_stack);
    auto* listLayout = new QVBoxLayout(list);
    listLayout->setContentsMargins(0, 0, 0, 0);
    m_model = new AgentsModel(this);
    m_view = rowList(m_model, AgentsModel::Name, QStringLiteral("agentsView"), list);
    listLayout->addWidget(m_view, 1);

    auto* actions = new QHBoxLayout();
    auto* revokeHint = pageExplanation(tr("Revoking stops an agent's secret at once; its past "
                                          "payments stay in Activity."),
                                       list);
    m_revoke = new QPushButton(tr("Revoke"), list);
    m_revoke->setObjectName(QStringLiteral("revokeAgent"));
    actions->addWidget(revokeHint, 1);
    actions->addWidget(m_revoke);
    listLayout->addLayout(actions);
    m_stack->addWidget(list);
    layout->addWidget(m_stack, 1);

    connect(m_newAgent, &QPushButton::clicked, this, &AgentsPage::newAgent);
    connect(m_revoke, &QPushButton::clicked, this, &AgentsPage::confirmRevoke);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &AgentsPage::updateActions);
    updateActions();
}

void AgentsPage::setService(service::WalletService* service)
{
    m_reads.reset(); // reads sent to a previous wallet never answer
    for (const QMetaObject::Connection& connection : std::as_const(m_connections)) {
        disconnect(connection);
    }
    m_connections.clear();
    m_service = service;
    if (service) {
        m_connections << connect(service, &service::WalletService::agentsChanged, this,
                                 &AgentsPage::refresh);
        m_connections << connect(service, &service::WalletService::activityChanged, this,
                                 &AgentsPage::refresh);
    }
    updateActions();
    refresh();
}

void AgentsPage::refresh()
{
    if (!m_service) {
        return;
    }
    if (!m_reads.start(this)) {
        return;
    }
    service::ask(
        m_service.data(), this, [](service::WalletService& service) { return service.agents(); },
        [this, generation = m_reads.generation()](Result<QList<service::AgentView>> agents) {
            bool again = false;
            if (!m_reads.finished(generation, again)) {
                return; // an answer from a wallet since replaced
            }
            if (!agents) {
                showProblem(tr("Could not load the agents: %1").arg(agents.error().message));
            } else {
                showProblem({});
                const QString selected = selectedName();
                m_model->setAgents(std::move(*agents));
                m_stack->setCurrentIndex(m_model->rowCount() == 0 ? 0 : 1);
                const int row = selected.isEmpty() ? -1 : m_model->rowOf(selected);
                if (row >= 0) {
                    m_view->setCurrentIndex(m_model->index(row, 0));
                }
                updateActions();
            }
            if (again) {
                refresh();
            }
        });
}

QString AgentsPage::selectedName() const
{
    const QModelIndex current = m_view->currentIndex();
    const service::AgentView* agent = current.isValid() ? m_model->agentAt(current.row()) : nullptr;
    return agent ? agent->name : QString();
}

void AgentsPage::updateActions()
{
    const bool connected = !m_service.isNull();
    m_newAgent->setEnabled(connected);
    m_revoke->setEnabled(connected && !selectedName().isEmpty());
}

void AgentsPage::showProblem(const QString& message)
{
    m_problem->setText(message);
    m_problem->setVisible(!message.isEmpty());
}

void AgentsPage::newAgent()
{
    if (!m_service) {
        return;
    }
    QStringList taken;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        taken << m_model->agentAt(row)->name;
    }
    // The secret passes through this callback into the dialog that shows it, and nowhere
    // else: once that dialog closes it is gone from the window.
    QPointer<AgentsPage> page(this);
    auto onAdded = [page](const QString& name, const QString& secret, quint16 proxyPort,
                          const QString& dataDir) {
        if (!page) {
            return;
        }
        auto* dialog = new AgentSecretDialog(name, secret, proxyPort, dataDir, page);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
        page->refresh();
    };
    auto* dialog = new NewAgentDialog(m_service.data(), taken, onAdded, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void AgentsPage::confirmRevoke()
{
    const QString name = selectedName();
    if (name.isEmpty() || !m_service) {
        return;
    }
    askToConfirm(
        this, QMessageBox::Warning, QStringLiteral("revokeAgentQuestion"), tr("Revoke agent"),
        tr("Revoke the agent “%1”?").arg(name),
        tr("Its secret stops working at once: the proxy refuses its next request. "
           "Its past payments stay in Activity."),
        tr("Revoke"), [this, name] {
            if (!m_service) {
                return;
            }
            service::ask(
                m_service.data(), this,
                [name](service::WalletService& service) { return service.removeAgent(name); },
                [this](Result<bool> removed) {
                    if (!removed) {
                        showProblem(
                            tr("Could not revoke the agent: %1").arg(removed.error().message));
                    }
                    refresh();
                });
        });
}

void AgentsPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (m_reads.wantedWhenShown()) {
        refresh();
    }
}

} // namespace l402::ui
