#include "ui/ApprovalsPage.h"

#include "ui/EmptyState.h"
#include "ui/Widgets.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace l402::ui {

void ApprovalsModel::add(const policy::ApprovalRequest& request)
{
    for (const policy::ApprovalRequest& existing : std::as_const(m_requests)) {
        if (existing.id == request.id) {
            return;
        }
    }
    beginInsertRows({}, int(m_requests.size()), int(m_requests.size()));
    m_requests.append(request);
    endInsertRows();
}

void ApprovalsModel::remove(const QString& id)
{
    for (int row = 0; row < m_requests.size(); ++row) {
        if (m_requests.at(row).id == id) {
            beginRemoveRows({}, row, row);
            m_requests.removeAt(row);
            endRemoveRows();
            return;
        }
    }
}

void ApprovalsModel::replaceAll(const QList<policy::ApprovalRequest>& requests)
{
    beginResetModel();
    m_requests = requests;
    endResetModel();
}

const policy::ApprovalRequest* ApprovalsModel::at(int row) const
{
    return row >= 0 && row < m_requests.size() ? &m_requests.at(row) : nullptr;
}

void ApprovalsModel::tick()
{
    if (!m_requests.isEmpty()) {
        Q_EMIT dataChanged(index(0, TimeLeft), index(int(m_requests.size()) - 1, TimeLeft),
                           {Qt::DisplayRole});
    }
}

int ApprovalsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_requests.size());
}

int ApprovalsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ApprovalsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) ||
        (role != Qt::DisplayRole && role != Qt::UserRole)) {
        return {};
    }
    const policy::ApprovalRequest& request = m_requests.at(index.row());
    if (role == Qt::UserRole) {
        return request.id;
    }
    switch (index.column()) {
    case Site:
        return request.origin;
    case Agent:
        return request.agent.isEmpty() ? tr("(wallet)") : request.agent;
    case Amount:
        return satText(request.amountMsat);
    case Description:
        return request.description;
    case TimeLeft: {
        const qint64 left = QDateTime::currentDateTimeUtc().secsTo(request.expiresAt);
        return left > 0 ? tr("%1 s").arg(left) : tr("answering…");
    }
    default:
        return {};
    }
}

QVariant ApprovalsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    switch (section) {
    case Site:
        return tr("Site");
    case Agent:
        return tr("Agent");
    case Amount:
        return tr("Amount");
    case Description:
        return tr("For");
    case TimeLeft:
        return tr("Time left");
    default:
        return {};
    }
}

ApprovalsPage::ApprovalsPage(QWidget* parent)
    : QWidget(parent)
    , m_model(new ApprovalsModel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 20);
    layout->addWidget(pageHeading(tr("Approvals"), this));
    layout->addWidget(pageExplanation(
        tr("Payments a rule asked you about. Each one is denied when its time runs out."), this));
    m_stack = new QStackedWidget(this);
    m_stack->addWidget(new EmptyState(QStringLiteral(":/icons/approvals.svg"),
                                      tr("Nothing is waiting for you"),
                                      tr("When a spending rule says “ask”, the agent's request "
                                         "waits here until you approve or deny it."),
                                      m_stack));
    auto* list = new QWidget(m_stack);
    auto* listLayout = new QVBoxLayout(list);
    listLayout->setContentsMargins(0, 0, 0, 0);
    m_table = new QTableView(list);
    m_table->setObjectName(QStringLiteral("approvalsTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(ApprovalsModel::Description,
                                                      QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(ApprovalsModel::Site,
                                                      QHeaderView::ResizeToContents);
    m_table->setWordWrap(false);
    listLayout->addWidget(m_table, 1);
    auto* buttons = new QHBoxLayout();
    auto* open = new QPushButton(tr("Open the prompt"), list);
    open->setObjectName(QStringLiteral("openPrompt"));
    auto* deny = new QPushButton(tr("Deny"), list);
    deny->setObjectName(QStringLiteral("denySelected"));
    auto* approve = new QPushButton(tr("Approve"), list);
    approve->setObjectName(QStringLiteral("approveSelected"));
    buttons->addWidget(open);
    buttons->addStretch(1);
    buttons->addWidget(deny);
    buttons->addWidget(approve);
    listLayout->addLayout(buttons);
    m_stack->addWidget(list);
    layout->addWidget(m_stack, 1);

    // Only what the person selected; never a default row.
    const auto selectedId = [this] {
        const QModelIndexList rows = m_table->selectionModel()->selectedRows();
        const auto* request = rows.isEmpty() ? nullptr : m_model->at(rows.first().row());
        return request ? request->id : QString();
    };
    approve->setEnabled(false);
    deny->setEnabled(false);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this, approve, deny] {
                const bool selected = m_table->selectionModel()->hasSelection();
                approve->setEnabled(selected);
                deny->setEnabled(selected);
            });
    connect(approve, &QPushButton::clicked, this, [this, selectedId] {
        if (const QString id = selectedId(); !id.isEmpty()) {
            Q_EMIT answerRequested(id, true);
        }
    });
    connect(deny, &QPushButton::clicked, this, [this, selectedId] {
        if (const QString id = selectedId(); !id.isEmpty()) {
            Q_EMIT answerRequested(id, false);
        }
    });
    connect(open, &QPushButton::clicked, this, &ApprovalsPage::promptRequested);
    const auto update = [this] {
        m_stack->setCurrentIndex(m_model->rowCount() > 0 ? 1 : 0);
    };
    connect(m_model, &QAbstractItemModel::rowsInserted, this, update);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, update);
    connect(m_model, &QAbstractItemModel::modelReset, this, update);
    m_tick = new QTimer(this);
    m_tick->setInterval(1000);
    connect(m_tick, &QTimer::timeout, m_model, &ApprovalsModel::tick);
    m_tick->start();
}

void ApprovalsPage::setService(service::WalletService* service)
{
    m_service = service;
    if (!service) {
        m_model->replaceAll({});
        return;
    }
    connect(service, &service::WalletService::approvalRequested, this,
            [this](const policy::ApprovalRequest& request) { m_model->add(request); });
    connect(service, &service::WalletService::approvalResolved, this,
            [this](const QString& id) { m_model->remove(id); });
    service::ask(
        service, this, [](service::WalletService& wallet) { return wallet.pendingApprovals(); },
        [this](QList<policy::ApprovalRequest> pending) { m_model->replaceAll(pending); });
}

} // namespace l402::ui
