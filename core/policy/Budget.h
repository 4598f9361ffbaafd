#pragma once

#include "core/policy/HostPattern.h"
#include "core/policy/Origin.h"
#include "core/policy/PaymentRate.h"
#include "core/store/Database.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>
#include <QTimeZone>

#include <optional>

namespace l402::policy {

enum class Mode { Auto, Ask, Block };
QString modeName(Mode mode); // auto|ask|block
std::optional<Mode> modeFromName(QStringView name);

// A spending rule (DESIGN §4 `budget set`). Amounts in msat; nullopt means "no limit".
struct BudgetRule {
    int64_t id = 0;
    QString pattern;
    QString agent; // empty: every agent
    std::optional<int64_t> maxPaymentMsat;
    std::optional<int64_t> dailyMsat;
    std::optional<int64_t> weeklyMsat;
    std::optional<int64_t> monthlyMsat;
    Mode mode = Mode::Auto;
    // In auto mode, payments above this are asked about; in ask mode, payments at or below it
    // go through without asking. nullopt: auto never asks, ask always asks.
    std::optional<int64_t> askAboveMsat;
    std::optional<PaymentRate> maxRate; // at most N payments per minute, hour or day
    int64_t createdAt = 0;

    bool needsApproval(int64_t amountMsat) const;
    // `"*" (agent mallory)`: how messages name the rule.
    QString label() const;
};

// Calendar windows in local time: the day from midnight, the week from Monday, the month from
// the 1st; each ends where the next begins, so a DST change makes a day 23 or 25 hours long.
struct Window {
    QDateTime start;
    QDateTime end; // next renewal
};
struct Windows {
    Window day, week, month;
};
Windows windowsAt(const QDateTime& now, const QTimeZone& zone);

// Money counted against a rule in each window: settled payments (amount + fee), pending ones
// (amount + fee limit) and reservations not yet written as payments (amount + fee reserve).
struct Usage {
    int64_t dayMsat = 0;
    int64_t weekMsat = 0;
    int64_t monthMsat = 0;
};

// A matching rule with what already counts against it.
struct HeldRule {
    BudgetRule rule;
    Usage usage;
    int64_t recentPayments = 0; // in the rule's rate window (0 when it has no rate)
};

// What a request is held to (DESIGN §3.7). Every matching rule applies: any block blocks, and
// every per-payment maximum, window and rate must have room. Ask/auto is decided by `rule`.
struct BudgetVerdict {
    // The rule that decides ask/auto: the most specific match, unless that one does not ask
    // for this amount, does not name the agent, and a rule naming the agent asks; then that
    // rule. The built-in default (ask) when no rule matches.
    BudgetRule rule;
    bool builtInDefault = false;
    Usage usage; // of `rule`
    Windows windows;
    QList<HeldRule> heldTo; // every matching rule, most specific first
    std::optional<BudgetRule> refusedBy;
    // site_blocked, over_max_payment, budget_exceeded or rate_limited, naming `refusedBy`
    std::optional<Error> refusal;

    bool needsApproval(int64_t amountMsat) const
    {
        return !refusal && rule.needsApproval(amountMsat);
    }
};

namespace budget_error {
inline constexpr auto kBlocked = "site_blocked";
inline constexpr auto kOverMaxPayment = "over_max_payment";
inline constexpr auto kExceeded = "budget_exceeded";
inline constexpr auto kRateLimited = "rate_limited";
} // namespace budget_error

struct RuleEdit;

// Rules, usage and reservations in the wallet database. Reserve() is the atomic check-and-set
// of DESIGN §3.2: inside one BEGIN IMMEDIATE transaction it finds the rule, sums the usage and
// inserts the reservation, so two payments cannot both fit into the last free sats.
class BudgetBook {
public:
    BudgetBook(store::Database& database, const Clock& clock, QTimeZone zone)
        : m_database(database)
        , m_clock(clock)
        , m_zone(std::move(zone))
    {
    }

    // What applies when no rule matches: ask (and with nobody to ask, deny).
    static BudgetRule builtInDefault();

    Result<QList<BudgetRule>> rules();
    // Inserts, or replaces the rule with the same pattern and agent (every field: the
    // editor's whole rule).
    Result<int64_t> saveRule(BudgetRule rule);
    // Changes only the fields the edit names, keeping the rest of an existing rule; read and
    // written in one transaction. Returns the saved rule.
    Result<BudgetRule> editRule(const RuleEdit& edit);
    // false when no such rule existed.
    Result<bool> removeRule(const QString& pattern, const QString& agent);

    // Every matching rule, ordered by pattern specificity and then a rule naming the agent
    // over one for every agent, checked together (see BudgetVerdict).
    Result<BudgetVerdict> evaluate(const Origin& origin, const QString& agent, int64_t amountMsat,
                                   int64_t feeReserveMsat);
    Result<Usage> usageOf(const BudgetRule& rule, const Windows& windows);
    // Payments (not failed) and open reservations of the rule's origins and agent in
    // [now - rate period, now]; 0 for a rule without a rate.
    Result<int64_t> recentPaymentsOf(const BudgetRule& rule);

    // Checks again and reserves, atomically. Returns the reservation id, or the refusal.
    Result<int64_t> reserve(const Origin& origin, const QString& agent, int64_t amountMsat,
                            int64_t feeReserveMsat);
    // Links a reservation to the payment row that now carries it (inside the caller's
    // transaction).
    Status linkReservation(int64_t reservationId, int64_t paymentId);
    Status releaseForPayment(int64_t paymentId);
    // A reservation whose payment could not be written (the hash was already paid, or the
    // database failed): the money is free again at once.
    Status releaseReservation(int64_t reservationId);
    // At start-up: reservations whose payment was never written (the process died between
    // the two steps; the node was never called) are released. Returns how many.
    Result<int> releaseOrphans();

    const QTimeZone& zone() const { return m_zone; }

    // Usage is served from an in-memory summary of the current windows (one row per origin
    // and agent), built by one scan and then kept up to date by the writer, so a payment does
    // not rescan the month's ledger. The summary is only trusted while no write it does not
    // know of has happened on the connection (sqlite3_total_changes is its stamp), and it is
    // rebuilt when a window rolls over. reserve() keeps it current itself; the engine reports
    // the rest: adjustUsage() after a payment's cost changed (settled with its real fee, or
    // failed), restamp() after writes that do not touch spending (see UsageNeutralWrite).
    void adjustUsage(const QString& origin, const QString& agent, int64_t at, int64_t deltaMsat);
    bool usageCacheCurrent() const;
    void restamp();

private:
    struct UsageEntry {
        Origin origin;
        QString agent;
        Usage usage;
    };
    struct UsageCache {
        int64_t dayStart = 0;
        int64_t weekStart = 0;
        int64_t monthStart = 0;
        int64_t stamp = 0;
        QHash<QString, UsageEntry> entries; // origin + '\n' + agent
    };
    Status ensureUsageCache(const Windows& windows);
    int64_t changeStamp() const;
    // Commits by other connections to the same file (PRAGMA data_version), which
    // changeStamp() does not see.
    int64_t othersStamp() const;
    std::optional<UsageCache> m_cache;
    int64_t m_cacheOthersStamp = -1;

    struct RecentCount {
        Origin origin;
        QString agent;
        int64_t count = 0;
    };
    Result<QList<RecentCount>> recentCounts(int64_t since);
    Result<int64_t> saveRuleLocked(const BudgetRule& rule);
    Result<std::optional<BudgetRule>> findRule(const QString& pattern, const QString& agent);

    Result<BudgetVerdict> evaluateLocked(const Origin& origin, const QString& agent,
                                         int64_t amountMsat, int64_t feeReserveMsat);

    store::Database& m_database;
    const Clock& m_clock;
    QTimeZone m_zone;
};

// Writes that change no spending (history, tokens, status moves at equal cost): keeps the
// usage summary trusted across them when it was trusted before.
class UsageNeutralWrite {
public:
    explicit UsageNeutralWrite(BudgetBook& book)
        : m_book(book)
        , m_wasCurrent(book.usageCacheCurrent())
    {
    }
    ~UsageNeutralWrite()
    {
        if (m_wasCurrent) {
            m_book.restamp();
        }
    }
    UsageNeutralWrite(const UsageNeutralWrite&) = delete;
    UsageNeutralWrite& operator=(const UsageNeutralWrite&) = delete;

private:
    BudgetBook& m_book;
    bool m_wasCurrent;
};

// "120 of 1,000 sat today" for prompts and errors: the window with the least room left after
// this payment among every rule the payment is held to.
QString describeImpact(const BudgetVerdict& verdict, int64_t amountMsat, int64_t feeReserveMsat);
// One line per rule the payment is held to, with this payment counted:
// `"*" (agent mallory): 20 of 20 sat today` (the approval prompt's "Held to").
QStringList describeRules(const BudgetVerdict& verdict, int64_t amountMsat, int64_t feeReserveMsat);
// A rule's limits and what counts against them, for lists: "max 5 sat per payment, 15 of 20 sat
// today, 3 of 10/min"; "no limits" when it has none.
QString describeLimits(const BudgetRule& rule, const Usage& usage, int64_t recentPayments);

} // namespace l402::policy
