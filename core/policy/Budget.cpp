#include "core/policy/Budget.h"

#include "core/policy/RuleEdit.h"
#include "core/util/Money.h"

#include <sqlite3.h>

#include <algorithm>
#include <limits>

namespace l402::policy {
namespace {

using store::Statement;
using store::Transaction;

QDateTime startOfDay(const QDate& date, const QTimeZone& zone)
{
    QDateTime start(date, QTime(0, 0), zone);
    // Where a DST change skips midnight (e.g. America/Santiago), the day starts at the first
    // moment that exists.
    for (int hour = 1; !start.isValid() && hour < 4; ++hour) {
        start = QDateTime(date, QTime(hour, 0), zone);
    }
    return start;
}

std::optional<int64_t> optionalColumn(const Statement& row, int column)
{
    return row.isNull(column) ? std::nullopt : std::optional<int64_t>(row.integer(column));
}

BudgetRule readRule(const Statement& row)
{
    BudgetRule rule;
    rule.id = row.integer(0);
    rule.pattern = row.text(1);
    rule.agent = row.text(2);
    rule.maxPaymentMsat = optionalColumn(row, 3);
    rule.dailyMsat = optionalColumn(row, 4);
    rule.weeklyMsat = optionalColumn(row, 5);
    rule.monthlyMsat = optionalColumn(row, 6);
    rule.mode = modeFromName(row.text(7)).value_or(Mode::Ask);
    rule.askAboveMsat = optionalColumn(row, 8);
    rule.createdAt = row.integer(9);
    if (!row.isNull(10) && !row.isNull(11)) {
        rule.maxRate = PaymentRate{row.integer(10), row.integer(11)};
    }
    return rule;
}

QString sat(int64_t msat)
{
    return formatMsatAsSat(static_cast<uint64_t>(std::max<int64_t>(msat, 0)));
}

// Stored amounts and sums of them are int64 msat; a sum past the end counts as full.
int64_t plus(int64_t a, int64_t b)
{
    int64_t sum = 0;
    return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<int64_t>::max() : sum;
}

constexpr const char* kRuleColumns =
    "SELECT id, pattern, agent, max_payment_msat, daily_msat, weekly_msat, monthly_msat, "
    "mode, ask_above_msat, created_at, max_rate_count, max_rate_period_seconds "
    "FROM budget_rules ";

} // namespace

QString modeName(Mode mode)
{
    switch (mode) {
    case Mode::Auto:
        return QStringLiteral("auto");
    case Mode::Ask:
        return QStringLiteral("ask");
    case Mode::Block:
        return QStringLiteral("block");
    }
    return {};
}

std::optional<Mode> modeFromName(QStringView name)
{
    for (const Mode mode : {Mode::Auto, Mode::Ask, Mode::Block}) {
        if (name.compare(modeName(mode), Qt::CaseInsensitive) == 0) {
            return mode;
        }
    }
    return std::nullopt;
}

bool BudgetRule::needsApproval(int64_t amountMsat) const
{
    switch (mode) {
    case Mode::Block:
        return false;
    case Mode::Auto:
        return askAboveMsat && amountMsat > *askAboveMsat;
    case Mode::Ask:
        return !askAboveMsat || amountMsat > *askAboveMsat;
    }
    return true;
}

QString BudgetRule::label() const
{
    const QString quoted = u'"' + pattern + u'"';
    return agent.isEmpty() ? quoted : QStringLiteral("%1 (agent %2)").arg(quoted, agent);
}

Windows windowsAt(const QDateTime& now, const QTimeZone& zone)
{
    const QDate today = now.toTimeZone(zone).date();
    const QDate monday = today.addDays(1 - today.dayOfWeek());
    const QDate first(today.year(), today.month(), 1);
    Windows windows;
    windows.day = {startOfDay(today, zone), startOfDay(today.addDays(1), zone)};
    windows.week = {startOfDay(monday, zone), startOfDay(monday.addDays(7), zone)};
    windows.month = {startOfDay(first, zone), startOfDay(first.addMonths(1), zone)};
    return windows;
}

BudgetRule BudgetBook::builtInDefault()
{
    BudgetRule rule;
    rule.pattern = QStringLiteral("*");
    rule.mode = Mode::Ask;
    return rule;
}

Result<QList<BudgetRule>> BudgetBook::rules()
{
    using R = Result<QList<BudgetRule>>;
    auto statement = m_database.prepare(
        QByteArray(QByteArray(kRuleColumns) + "ORDER BY pattern, agent").constData());
    if (!statement) {
        return R(statement.error());
    }
    QList<BudgetRule> rules;
    for (;;) {
        auto row = statement->step();
        if (!row) {
            return R(row.error());
        }
        if (!row.value()) {
            return rules;
        }
        rules.append(readRule(*statement));
    }
}

namespace {

Status validateRule(BudgetRule& rule)
{
    auto pattern = HostPattern::parse(rule.pattern);
    if (!pattern) {
        return Status(pattern.error());
    }
    for (const auto& amount : {rule.maxPaymentMsat, rule.dailyMsat, rule.weeklyMsat,
                               rule.monthlyMsat, rule.askAboveMsat}) {
        if (amount && *amount < 0) {
            return Status(Error{QStringLiteral("invalid_amount"),
                                QStringLiteral("Budget amounts cannot be negative.")});
        }
    }
    if (rule.maxRate && !rule.maxRate->valid()) {
        return Status(Error{QStringLiteral("invalid_rate"),
                            QStringLiteral("A payment rate is a positive number of payments "
                                           "per minute, hour or day.")});
    }
    rule.pattern = pattern->text();
    return success();
}

} // namespace

Result<int64_t> BudgetBook::saveRule(BudgetRule rule)
{
    if (auto valid = validateRule(rule); !valid) {
        return Result<int64_t>(valid.error());
    }
    UsageNeutralWrite neutral(*this);
    auto transaction = Transaction::begin(m_database);
    if (!transaction) {
        return Result<int64_t>(transaction.error());
    }
    auto id = saveRuleLocked(rule);
    if (!id) {
        return id;
    }
    if (auto committed = (*transaction)->commit(); !committed) {
        return Result<int64_t>(committed.error());
    }
    return id;
}

Result<BudgetRule> BudgetBook::editRule(const RuleEdit& edit)
{
    using R = Result<BudgetRule>;
    auto pattern = HostPattern::parse(edit.pattern);
    if (!pattern) {
        return R(pattern.error());
    }
    UsageNeutralWrite neutral(*this);
    auto transaction = Transaction::begin(m_database);
    if (!transaction) {
        return R(transaction.error());
    }
    auto existing = findRule(pattern->text(), edit.agent);
    if (!existing) {
        return R(existing.error());
    }
    BudgetRule rule = edit.applyTo(existing.value());
    if (auto valid = validateRule(rule); !valid) {
        return R(valid.error());
    }
    auto id = saveRuleLocked(rule);
    if (!id) {
        return R(id.error());
    }
    if (auto committed = (*transaction)->commit(); !committed) {
        return R(committed.error());
    }
    auto saved = findRule(rule.pattern, rule.agent);
    if (!saved) {
        return R(saved.error());
    }
    return saved.value().value_or(rule);
}

Result<std::optional<BudgetRule>> BudgetBook::findRule(const QString& pattern, const QString& agent)
{
    using R = Result<std::optional<BudgetRule>>;
    auto statement = m_database.prepare(
        QByteArray(QByteArray(kRuleColumns) + "WHERE pattern = ?1 AND ifnull(agent, '') = ?2")
            .constData());
    if (!statement) {
        return R(statement.error());
    }
    statement->bind(1, pattern).bind(2, agent);
    auto row = statement->step();
    if (!row) {
        return R(row.error());
    }
    if (!row.value()) {
        return std::optional<BudgetRule>();
    }
    return std::optional<BudgetRule>(readRule(*statement));
}

Result<int64_t> BudgetBook::saveRuleLocked(const BudgetRule& rule)
{
    const std::optional<int64_t> rateCount =
        rule.maxRate ? std::optional<int64_t>(rule.maxRate->count) : std::nullopt;
    const std::optional<int64_t> ratePeriod =
        rule.maxRate ? std::optional<int64_t>(rule.maxRate->periodSeconds) : std::nullopt;
    // SQLite 3.15 has no UPSERT: update the rule for this pattern and agent in place (its id,
    // which reservations point at, stays), or insert it when there is none.
    auto update = m_database.prepare(
        "UPDATE budget_rules SET max_payment_msat = ?3, daily_msat = ?4, weekly_msat = ?5, "
        "monthly_msat = ?6, mode = ?7, ask_above_msat = ?8, max_rate_count = ?9, "
        "max_rate_period_seconds = ?10 WHERE pattern = ?1 AND agent = ?2");
    if (!update) {
        return Result<int64_t>(update.error());
    }
    update->bind(1, rule.pattern)
        .bind(2, rule.agent)
        .bindOptional(3, rule.maxPaymentMsat)
        .bindOptional(4, rule.dailyMsat)
        .bindOptional(5, rule.weeklyMsat)
        .bindOptional(6, rule.monthlyMsat)
        .bind(7, modeName(rule.mode))
        .bindOptional(8, rule.askAboveMsat)
        .bindOptional(9, rateCount)
        .bindOptional(10, ratePeriod);
    if (auto done = update->run(); !done) {
        return Result<int64_t>(done.error());
    }
    if (m_database.changes() == 0) {
        auto insert = m_database.prepare(
            "INSERT INTO budget_rules (pattern, agent, max_payment_msat, daily_msat, "
            "weekly_msat, monthly_msat, mode, ask_above_msat, created_at, max_rate_count, "
            "max_rate_period_seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
        if (!insert) {
            return Result<int64_t>(insert.error());
        }
        insert->bind(1, rule.pattern)
            .bind(2, rule.agent)
            .bindOptional(3, rule.maxPaymentMsat)
            .bindOptional(4, rule.dailyMsat)
            .bindOptional(5, rule.weeklyMsat)
            .bindOptional(6, rule.monthlyMsat)
            .bind(7, modeName(rule.mode))
            .bindOptional(8, rule.askAboveMsat)
            .bind(9, m_clock.nowSeconds())
            .bindOptional(10, rateCount)
            .bindOptional(11, ratePeriod);
        if (auto done = insert->run(); !done) {
            return Result<int64_t>(done.error());
        }
    }
    auto idOf = m_database.prepare("SELECT id FROM budget_rules WHERE pattern = ?1 AND agent = ?2");
    if (!idOf) {
        return Result<int64_t>(idOf.error());
    }
    idOf->bind(1, rule.pattern).bind(2, rule.agent);
    if (auto row = idOf->step(); !row || !row.value()) {
        return Result<int64_t>(row ? Error{QStringLiteral("database_error"),
                                           QStringLiteral("The saved rule is missing.")}
                                   : row.error());
    }
    return idOf->integer(0);
}

Result<bool> BudgetBook::removeRule(const QString& pattern, const QString& agent)
{
    auto parsed = HostPattern::parse(pattern);
    if (!parsed) {
        return Result<bool>(parsed.error());
    }
    UsageNeutralWrite neutral(*this);
    auto transaction = Transaction::begin(m_database);
    if (!transaction) {
        return Result<bool>(transaction.error());
    }
    // Reservations keep their amounts; they only stop naming the rule.
    auto detach =
        m_database.prepare("UPDATE reservations SET rule_id = NULL WHERE rule_id IN "
                           "(SELECT id FROM budget_rules WHERE pattern = ?1 AND agent = ?2)");
    if (!detach) {
        return Result<bool>(detach.error());
    }
    detach->bind(1, parsed->text()).bind(2, agent);
    if (auto done = detach->run(); !done) {
        return Result<bool>(done.error());
    }
    auto statement =
        m_database.prepare("DELETE FROM budget_rules WHERE pattern = ?1 AND agent = ?2");
    if (!statement) {
        return Result<bool>(statement.error());
    }
    statement->bind(1, parsed->text()).bind(2, agent);
    if (auto done = statement->run(); !done) {
        return Result<bool>(done.error());
    }
    const bool removed = m_database.changes() > 0;
    if (auto committed = (*transaction)->commit(); !committed) {
        return Result<bool>(committed.error());
    }
    return removed;
}

int64_t BudgetBook::changeStamp() const
{
    return sqlite3_total_changes(m_database.handle());
}

int64_t BudgetBook::othersStamp() const
{
    auto statement = m_database.prepare("PRAGMA data_version");
    if (!statement) {
        return -2; // unknown: never equal to a stamp taken when it was known
    }
    auto row = statement->step();
    return row && row.value() ? statement->integer(0) : -2;
}

bool BudgetBook::usageCacheCurrent() const
{
    return m_cache && m_cache->stamp == changeStamp() && m_cacheOthersStamp >= 0 &&
           m_cacheOthersStamp == othersStamp();
}

void BudgetBook::restamp()
{
    if (m_cache) {
        m_cache->stamp = changeStamp();
    }
}

void BudgetBook::adjustUsage(const QString& origin, const QString& agent, int64_t at,
                             int64_t deltaMsat)
{
    if (!m_cache) {
        return;
    }
    const auto parsed = Origin::parse(origin);
    if (!parsed) {
        m_cache.reset();
        return;
    }
    UsageEntry& entry = m_cache->entries[origin + u'\n' + agent];
    entry.origin = *parsed;
    entry.agent = agent;
    entry.usage.dayMsat += at >= m_cache->dayStart ? deltaMsat : 0;
    entry.usage.weekMsat += at >= m_cache->weekStart ? deltaMsat : 0;
    entry.usage.monthMsat += at >= m_cache->monthStart ? deltaMsat : 0;
    m_cache->stamp = changeStamp();
}

Status BudgetBook::ensureUsageCache(const Windows& windows)
{
    const int64_t day = windows.day.start.toSecsSinceEpoch();
    const int64_t week = windows.week.start.toSecsSinceEpoch();
    const int64_t month = windows.month.start.toSecsSinceEpoch();
    if (usageCacheCurrent() && m_cache->dayStart == day && m_cache->weekStart == week &&
        m_cache->monthStart == month) {
        return success();
    }
    // One range scan from the earlier of the week and month starts; each payment counts in
    // the windows it falls into.
    static const char* const kSpent =
        "SELECT origin, agent, "
        " SUM(CASE WHEN created_at >= ?1 THEN cost ELSE 0 END),"
        " SUM(CASE WHEN created_at >= ?2 THEN cost ELSE 0 END),"
        " SUM(CASE WHEN created_at >= ?3 THEN cost ELSE 0 END) "
        "FROM (SELECT origin, agent, created_at, CASE status"
        "  WHEN 'succeeded' THEN amount_msat + ifnull(fee_msat, 0)"
        "  WHEN 'failed' THEN 0"
        "  ELSE amount_msat + fee_limit_msat END AS cost"
        " FROM payments WHERE created_at >= ?4"
        " UNION ALL SELECT origin, agent, created_at, amount_msat + fee_reserve_msat"
        " FROM reservations WHERE released_at IS NULL AND payment_id IS NULL) "
        "GROUP BY origin, agent";
    m_cache.reset();
    // Taken before the scan: a commit elsewhere during it only makes the next check rebuild.
    const int64_t others = othersStamp();
    auto statement = m_database.prepare(kSpent);
    if (!statement) {
        return Status(statement.error());
    }
    statement->bind(1, day).bind(2, week).bind(3, month).bind(4, std::min(week, month));
    UsageCache cache;
    cache.dayStart = day;
    cache.weekStart = week;
    cache.monthStart = month;
    for (;;) {
        auto row = statement->step();
        if (!row) {
            return Status(row.error());
        }
        if (!row.value()) {
            break;
        }
        const QString origin = statement->text(0);
        const QString agent = statement->text(1);
        const auto parsed = Origin::parse(origin);
        if (!parsed) {
            continue; // not a web origin: no pattern can match it
        }
        UsageEntry& entry = cache.entries[origin + u'\n' + agent];
        entry.origin = *parsed;
        entry.agent = agent;
        entry.usage.dayMsat += statement->integer(2);
        entry.usage.weekMsat += statement->integer(3);
        entry.usage.monthMsat += statement->integer(4);
    }
    cache.stamp = changeStamp();
    m_cache = std::move(cache);
    m_cacheOthersStamp = others;
    return success();
}

Result<Usage> BudgetBook::usageOf(const BudgetRule& rule, const Windows& windows)
{
    auto pattern = HostPattern::parse(rule.pattern);
    if (!pattern) {
        return Result<Usage>(pattern.error());
    }
    if (auto ready = ensureUsageCache(windows); !ready) {
        return Result<Usage>(ready.error());
    }
    Usage usage;
    for (const UsageEntry& entry : std::as_const(m_cache->entries)) {
        if (!pattern->matches(entry.origin) ||
            (!rule.agent.isEmpty() && entry.agent != rule.agent)) {
            continue;
        }
        usage.dayMsat += entry.usage.dayMsat;
        usage.weekMsat += entry.usage.weekMsat;
        usage.monthMsat += entry.usage.monthMsat;
    }
    return usage;
}

Result<BudgetVerdict> BudgetBook::evaluate(const Origin& origin, const QString& agent,
                                           int64_t amountMsat, int64_t feeReserveMsat)
{
    return evaluateLocked(origin, agent, amountMsat, feeReserveMsat);
}

Result<QList<BudgetBook::RecentCount>> BudgetBook::recentCounts(int64_t since)
{
    using R = Result<QList<RecentCount>>;
    // A payment and its linked reservation are one payment: the reservation counts only
    // while it is open and not yet written as a payment.
    auto statement = m_database.prepare(
        "SELECT origin, agent, COUNT(*) FROM ("
        " SELECT origin, agent FROM payments WHERE created_at >= ?1 AND status <> 'failed'"
        " UNION ALL SELECT origin, agent FROM reservations"
        " WHERE released_at IS NULL AND payment_id IS NULL AND created_at >= ?1) "
        "GROUP BY origin, agent");
    if (!statement) {
        return R(statement.error());
    }
    statement->bind(1, since);
    QList<RecentCount> counts;
    for (;;) {
        auto row = statement->step();
        if (!row) {
            return R(row.error());
        }
        if (!row.value()) {
            return counts;
        }
        const auto origin = Origin::parse(statement->text(0));
        if (origin) {
            counts.append({*origin, statement->text(1), statement->integer(2)});
        }
    }
}

Result<int64_t> BudgetBook::recentPaymentsOf(const BudgetRule& rule)
{
    if (!rule.maxRate) {
        return int64_t{0};
    }
    auto pattern = HostPattern::parse(rule.pattern);
    if (!pattern) {
        return Result<int64_t>(pattern.error());
    }
    auto counts = recentCounts(m_clock.nowSeconds() - rule.maxRate->periodSeconds);
    if (!counts) {
        return Result<int64_t>(counts.error());
    }
    int64_t total = 0;
    for (const RecentCount& entry : counts.value()) {
        if (pattern->matches(entry.origin) && (rule.agent.isEmpty() || entry.agent == rule.agent)) {
            total += entry.count;
        }
    }
    return total;
}

Result<BudgetVerdict> BudgetBook::evaluateLocked(const Origin& origin, const QString& agent,
                                                 int64_t amountMsat, int64_t feeReserveMsat)
{
    using R = Result<BudgetVerdict>;
    auto all = rules();
    if (!all) {
        return R(all.error());
    }
    BudgetVerdict verdict;
    verdict.windows = windowsAt(m_clock.now(), m_zone);
    struct Match {
        int score;
        BudgetRule rule;
    };
    QList<Match> matches;
    for (const BudgetRule& rule : all.value()) {
        if (!rule.agent.isEmpty() && rule.agent != agent) {
            continue;
        }
        const auto pattern = HostPattern::parse(rule.pattern);
        if (!pattern || !pattern->matches(origin)) {
            continue;
        }
        matches.append({pattern->specificity() * 2 + (rule.agent.isEmpty() ? 0 : 1), rule});
    }
    std::stable_sort(matches.begin(), matches.end(),
                     [](const Match& a, const Match& b) { return a.score > b.score; });
    for (const Match& match : std::as_const(matches)) {
        auto usage = usageOf(match.rule, verdict.windows);
        if (!usage) {
            return R(usage.error());
        }
        auto recent = recentPaymentsOf(match.rule);
        if (!recent) {
            return R(recent.error());
        }
        verdict.heldTo.append({match.rule, usage.value(), recent.value()});
    }
    if (verdict.heldTo.isEmpty()) {
        verdict.rule = builtInDefault();
        verdict.builtInDefault = true;
        auto usage = usageOf(verdict.rule, verdict.windows);
        if (!usage) {
            return R(usage.error());
        }
        verdict.usage = usage.value();
        return verdict; // no limits to check; the default asks
    }

    // Ask/auto: the most specific rule, but a rule the owner set for this agent still asks
    // where a rule for every agent would not (an agent's "ask" is not lifted by a site's
    // "auto").
    const HeldRule* deciding = &verdict.heldTo.first();
    if (!deciding->rule.needsApproval(amountMsat) && deciding->rule.agent.isEmpty()) {
        for (const HeldRule& held : std::as_const(verdict.heldTo)) {
            if (!held.rule.agent.isEmpty() && held.rule.needsApproval(amountMsat)) {
                deciding = &held;
                break;
            }
        }
    }
    verdict.rule = deciding->rule;
    verdict.usage = deciding->usage;

    const QString site = origin.toString();
    const auto refuse = [&](const HeldRule& held, const char* code, const QString& message) {
        verdict.refusedBy = held.rule;
        verdict.refusal = Error{QLatin1String(code), message};
        return verdict;
    };
    for (const HeldRule& held : std::as_const(verdict.heldTo)) {
        if (held.rule.mode == Mode::Block) {
            return refuse(held, budget_error::kBlocked,
                          QStringLiteral("Payments to %1 are blocked by the rule %2.")
                              .arg(site, held.rule.label()));
        }
    }
    for (const HeldRule& held : std::as_const(verdict.heldTo)) {
        if (held.rule.maxPaymentMsat && amountMsat > *held.rule.maxPaymentMsat) {
            return refuse(
                held, budget_error::kOverMaxPayment,
                QStringLiteral("%1 asks for %2, above the %3 per-payment limit of the "
                               "rule %4.")
                    .arg(site, sat(amountMsat), sat(*held.rule.maxPaymentMsat), held.rule.label()));
        }
    }
    const int64_t cost = plus(amountMsat, feeReserveMsat);
    for (const HeldRule& held : std::as_const(verdict.heldTo)) {
        const struct {
            std::optional<int64_t> cap;
            int64_t used;
            const char* period;
        } caps[] = {{held.rule.dailyMsat, held.usage.dayMsat, "daily"},
                    {held.rule.weeklyMsat, held.usage.weekMsat, "weekly"},
                    {held.rule.monthlyMsat, held.usage.monthMsat, "monthly"}};
        for (const auto& cap : caps) {
            if (cap.cap && plus(cap.used, cost) > *cap.cap) {
                return refuse(
                    held, budget_error::kExceeded,
                    QStringLiteral("Paying %1 (plus up to %2 in fees) to %3 would exceed the %4 "
                                   "budget of the rule %5: %6 of %7 already used.")
                        .arg(sat(amountMsat), sat(feeReserveMsat), site, QLatin1String(cap.period),
                             held.rule.label(), sat(cap.used), sat(*cap.cap)));
            }
        }
    }
    for (const HeldRule& held : std::as_const(verdict.heldTo)) {
        const auto& rate = held.rule.maxRate;
        if (rate && held.recentPayments >= rate->count) {
            return refuse(held, budget_error::kRateLimited,
                          QStringLiteral("The rule %1 allows %2 payments per %3 (%4), and %5 "
                                         "were made in the last %3; %6 can be paid again later.")
                              .arg(held.rule.label(), QString::number(rate->count),
                                   rate->periodName(), rate->toString(),
                                   QString::number(held.recentPayments), site));
        }
    }
    return verdict;
}

Result<int64_t> BudgetBook::reserve(const Origin& origin, const QString& agent, int64_t amountMsat,
                                    int64_t feeReserveMsat)
{
    using R = Result<int64_t>;
    auto transaction = Transaction::begin(m_database);
    if (!transaction) {
        return R(transaction.error());
    }
    auto verdict = evaluateLocked(origin, agent, amountMsat, feeReserveMsat);
    if (!verdict) {
        return R(verdict.error());
    }
    if (verdict->refusal) {
        return R(*verdict->refusal);
    }
    const bool wasCurrent = usageCacheCurrent();
    auto insert = m_database.prepare(
        "INSERT INTO reservations (rule_id, origin, agent, amount_msat, fee_reserve_msat, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!insert) {
        return R(insert.error());
    }
    if (verdict->builtInDefault) {
        insert->bind(1, std::nullopt);
    } else {
        insert->bind(1, verdict->rule.id);
    }
    insert->bind(2, origin.toString())
        .bind(3, agent)
        .bind(4, amountMsat)
        .bind(5, feeReserveMsat)
        .bind(6, m_clock.nowSeconds());
    if (auto done = insert->run(); !done) {
        return R(done.error());
    }
    const int64_t id = m_database.lastInsertId();
    if (auto committed = (*transaction)->commit(); !committed) {
        m_cache.reset();
        return R(committed.error());
    }
    if (wasCurrent) {
        adjustUsage(origin.toString(), agent, m_clock.nowSeconds(), amountMsat + feeReserveMsat);
    }
    return id;
}

Status BudgetBook::linkReservation(int64_t reservationId, int64_t paymentId)
{
    auto statement = m_database.prepare("UPDATE reservations SET payment_id = ?2 WHERE id = ?1");
    if (!statement) {
        return Status(statement.error());
    }
    statement->bind(1, reservationId).bind(2, paymentId);
    return statement->run();
}

Status BudgetBook::releaseForPayment(int64_t paymentId)
{
    auto statement = m_database.prepare(
        "UPDATE reservations SET released_at = ?2 WHERE payment_id = ?1 AND released_at IS NULL");
    if (!statement) {
        return Status(statement.error());
    }
    statement->bind(1, paymentId).bind(2, m_clock.nowSeconds());
    return statement->run();
}

Status BudgetBook::releaseReservation(int64_t reservationId)
{
    auto found = m_database.prepare(
        "SELECT origin, agent, amount_msat + fee_reserve_msat, created_at FROM reservations "
        "WHERE id = ?1 AND released_at IS NULL AND payment_id IS NULL");
    if (!found) {
        return Status(found.error());
    }
    found->bind(1, reservationId);
    auto row = found->step();
    if (!row) {
        return Status(row.error());
    }
    if (!row.value()) {
        return success(); // already released or turned into a payment
    }
    const QString origin = found->text(0);
    const QString agent = found->text(1);
    const int64_t cost = found->integer(2);
    const int64_t createdAt = found->integer(3);
    const bool wasCurrent = usageCacheCurrent();
    auto release = m_database.prepare("UPDATE reservations SET released_at = ?2 WHERE id = ?1");
    if (!release) {
        return Status(release.error());
    }
    release->bind(1, reservationId).bind(2, m_clock.nowSeconds());
    if (auto done = release->run(); !done) {
        return done;
    }
    if (wasCurrent) {
        adjustUsage(origin, agent, createdAt, -cost);
    }
    return success();
}

Result<int> BudgetBook::releaseOrphans()
{
    auto statement = m_database.prepare("UPDATE reservations SET released_at = ?1 "
                                        "WHERE released_at IS NULL AND payment_id IS NULL");
    if (!statement) {
        return Result<int>(statement.error());
    }
    statement->bind(1, m_clock.nowSeconds());
    m_cache.reset();
    if (auto done = statement->run(); !done) {
        return Result<int>(done.error());
    }
    return m_database.changes();
}

QString describeImpact(const BudgetVerdict& verdict, int64_t amountMsat, int64_t feeReserveMsat)
{
    const int64_t cost = plus(amountMsat, feeReserveMsat);
    std::optional<QString> tightest;
    int64_t leastRoom = std::numeric_limits<int64_t>::max();
    for (const HeldRule& held : verdict.heldTo) {
        const struct {
            std::optional<int64_t> cap;
            int64_t used;
            const char* text;
        } windows[] = {{held.rule.dailyMsat, held.usage.dayMsat, "%1 of %2 today"},
                       {held.rule.weeklyMsat, held.usage.weekMsat, "%1 of %2 this week"},
                       {held.rule.monthlyMsat, held.usage.monthMsat, "%1 of %2 this month"}};
        for (const auto& window : windows) {
            if (!window.cap) {
                continue;
            }
            const int64_t after = plus(window.used, cost);
            const int64_t room = *window.cap - after;
            if (!tightest || room < leastRoom) {
                leastRoom = room;
                tightest =
                    QString::fromLatin1(window.text).arg(sat(after).chopped(4), sat(*window.cap));
            }
        }
    }
    if (tightest) {
        return *tightest;
    }
    return QStringLiteral("%1 today (no daily limit)").arg(sat(plus(verdict.usage.dayMsat, cost)));
}

QString describeLimits(const BudgetRule& rule, const Usage& usage, int64_t recentPayments)
{
    QStringList limits;
    if (rule.maxPaymentMsat) {
        limits << QStringLiteral("max %1 per payment").arg(sat(*rule.maxPaymentMsat));
    }
    if (rule.dailyMsat) {
        limits << QStringLiteral("%1 of %2 today")
                      .arg(sat(usage.dayMsat).chopped(4), sat(*rule.dailyMsat));
    }
    if (rule.weeklyMsat) {
        limits << QStringLiteral("%1 of %2 this week")
                      .arg(sat(usage.weekMsat).chopped(4), sat(*rule.weeklyMsat));
    }
    if (rule.monthlyMsat) {
        limits << QStringLiteral("%1 of %2 this month")
                      .arg(sat(usage.monthMsat).chopped(4), sat(*rule.monthlyMsat));
    }
    if (rule.maxRate) {
        limits << QStringLiteral("%1 of %2 payments in the last %3")
                      .arg(QString::number(recentPayments), QString::number(rule.maxRate->count),
                           rule.maxRate->periodName());
    }
    if (rule.askAboveMsat) {
        limits << QStringLiteral("ask above %1").arg(sat(*rule.askAboveMsat));
    }
    return limits.isEmpty() ? QStringLiteral("no limits") : limits.join(QStringLiteral(", "));
}

QStringList describeRules(const BudgetVerdict& verdict, int64_t amountMsat, int64_t feeReserveMsat)
{
    const int64_t cost = plus(amountMsat, feeReserveMsat);
    QStringList lines;
    for (const HeldRule& held : verdict.heldTo) {
        const Usage after{plus(held.usage.dayMsat, cost), plus(held.usage.weekMsat, cost),
                          plus(held.usage.monthMsat, cost)};
        const int64_t recent = held.rule.maxRate ? held.recentPayments + 1 : 0;
        lines << QStringLiteral("%1: %2, %3")
                     .arg(held.rule.label(), modeName(held.rule.mode),
                          describeLimits(held.rule, after, recent));
    }
    if (lines.isEmpty()) {
        lines << QStringLiteral("no rule matches: the default asks");
    }
    return lines;
}

} // namespace l402::policy
