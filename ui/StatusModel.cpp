#include "StatusModel.hpp"

#include "audio/AudioDriver.hpp"
#include "audio/MeterTap.hpp"
#include "engine/ModuleRegistry.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <string_view>

namespace chronus::editor {

namespace {
constexpr double kHoldSeconds = 1.5;
constexpr double kHoldFallDbPerSecond = 20.0;
constexpr double kDspWarning = 0.75;
constexpr double kDspError = 1.0; // the worker renders slower than real time: the ring runs dry
constexpr double kAudioStallSeconds = 0.5;

QString percent(double load) { return QString::number(std::lround(100.0 * load)) + QLatin1Char('%'); }

QString windowPhrase(double seconds) {
    return seconds == 1.0 ? QStringLiteral("in the last second")
                          : QStringLiteral("in the last %1 s").arg(seconds, 0, 'g', 3);
}

QString plural(std::uint64_t n, const char* one, const char* many) {
    return QStringLiteral("%1 %2").arg(n).arg(QLatin1String(n == 1 ? one : many));
}
} // namespace

// --- SlotStatusModel ---------------------------------------------------------------------------

SlotStatusModel::SlotStatusModel(QObject* parent) : QAbstractListModel(parent) {}

int SlotStatusModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant SlotStatusModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows[static_cast<std::size_t>(index.row())];
    const engine::SlotStats& s = row.stats;
    switch (role) {
    case Qt::DisplayRole:
    case NameRole: return StatusModel::slotName(index.row());
    case StateRole: return QString::fromLatin1(engine::slotStateName(s.state));
    case ActiveRole: return row.active;
    case PrimeReadyRole: return s.primeReady;
    case InStepRole: return s.inStep;
    case OccupancyRole: return s.occupancy;
    case OccupancyMinRole: return s.occupancyMin;
    case OccupancyMaxRole: return s.occupancyMax;
    case NoneReadsRole: return QVariant::fromValue<qulonglong>(s.noneReads);
    case NoneReadsWindowRole: return QVariant::fromValue<qulonglong>(s.noneReadsWindow);
    case DspLoadRole: return s.dspLoad;
    case RealtimeRole: return s.realtime;
    case HealthRole: return row.health;
    case PidRole: return s.pid;
    case RestartsRole: return QVariant::fromValue<qulonglong>(s.restarts);
    case LastExitRole:
        return QString::fromStdString(s.lastExit) +
               (s.lastExitModule.empty() ? QString() : QStringLiteral(" in ") + QString::fromStdString(s.lastExitModule));
    default: return {};
    }
}

QHash<int, QByteArray> SlotStatusModel::roleNames() const {
    return {{NameRole, "name"},
            {StateRole, "state"},
            {ActiveRole, "active"},
            {PrimeReadyRole, "primeReady"},
            {InStepRole, "inStep"},
            {OccupancyRole, "occupancy"},
            {OccupancyMinRole, "occupancyMin"},
            {OccupancyMaxRole, "occupancyMax"},
            {NoneReadsRole, "noneReads"},
            {NoneReadsWindowRole, "noneReadsWindow"},
            {DspLoadRole, "dspLoad"},
            {RealtimeRole, "realtime"},
            {HealthRole, "health"},
            {PidRole, "pid"},
            {RestartsRole, "restarts"},
            {LastExitRole, "lastExit"}};
}

void SlotStatusModel::update(const engine::EngineStats& stats, const std::array<QString, 2>& health) {
    for (int r = 0; r < 2; ++r) {
        Row& row = m_rows[static_cast<std::size_t>(r)];
        const engine::SlotStats& n = stats.slot[static_cast<std::size_t>(r)];
        const engine::SlotStats& o = row.stats;
        const bool active = stats.activeSlot == r;
        QList<int> roles;
        if (n.state != o.state)
            roles << StateRole;
        if (active != row.active)
            roles << ActiveRole;
        if (n.primeReady != o.primeReady)
            roles << PrimeReadyRole;
        if (n.inStep != o.inStep)
            roles << InStepRole;
        if (n.occupancy != o.occupancy)
            roles << OccupancyRole;
        if (n.occupancyMin != o.occupancyMin)
            roles << OccupancyMinRole;
        if (n.occupancyMax != o.occupancyMax)
            roles << OccupancyMaxRole;
        if (n.noneReads != o.noneReads)
            roles << NoneReadsRole;
        if (n.noneReadsWindow != o.noneReadsWindow)
            roles << NoneReadsWindowRole;
        if (n.dspLoad != o.dspLoad)
            roles << DspLoadRole;
        if (n.realtime != o.realtime)
            roles << RealtimeRole;
        if (health[static_cast<std::size_t>(r)] != row.health)
            roles << HealthRole;
        if (n.pid != o.pid)
            roles << PidRole;
        if (n.restarts != o.restarts)
            roles << RestartsRole << LastExitRole;
        row.stats = n;
        row.active = active;
        row.health = health[static_cast<std::size_t>(r)];
        if (!roles.isEmpty())
            emit dataChanged(index(r), index(r), roles);
    }
}

// --- StatusModel -------------------------------------------------------------------------------

StatusModel::StatusModel(const engine::SlotEngine& engine, const audio::AudioDriver* driver,
                         const audio::MeterTap* meter, QObject* parent)
    : QObject(parent), m_engine(engine), m_driver(driver), m_meter(meter), m_slots(this) {
    m_clock.start();
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &StatusModel::poll);
    m_scope.reserve(2 * kScopeFrames);
    m_scopeCopy.resize(4 * kScopeFrames);
}

StatusModel::~StatusModel() = default;

void StatusModel::start(int intervalMs) {
    const bool was = m_timer.isActive();
    m_timer.start(intervalMs);
    if (!was)
        emit pollingChanged();
}

void StatusModel::stop() {
    if (!m_timer.isActive())
        return;
    m_timer.stop();
    emit pollingChanged();
}

void StatusModel::poll() {
    const double now = static_cast<double>(m_clock.nsecsElapsed()) * 1e-9;
    const engine::EngineStats s = m_engine.stats();
    const engine::EngineStats o = m_stats;
    const bool first = !m_polled;
    m_polled = true;
    m_stats = s;

    const std::uint64_t xruns = m_driver ? m_driver->xruns() : s.xruns;
    const std::uint64_t noneWindow = s.slot[0].noneReadsWindow + s.slot[1].noneReadsWindow;
    const std::uint64_t noneTotal = s.slot[0].noneReads + s.slot[1].noneReads;
    const bool xrunsChange = first || xruns != m_xruns;
    const bool noneWindowChange = first || noneWindow != m_noneReadsWindow;
    const bool noneTotalChange = first || noneTotal != m_noneReadsTotal;
    m_xruns = xruns;
    m_noneReadsWindow = noneWindow;
    m_noneReadsTotal = noneTotal;

    // The engine's output counter stands still when nothing calls the audio callback (a device
    // that went away, a driver not started).
    if (first || s.framesOut != o.framesOut)
        m_lastAudio = now;
    m_audioStalled = now - m_lastAudio >= kAudioStallSeconds;

    m_history.push_back({now, xruns, s.failovers, s.rollbacks, s.mutedChunks,
                         s.slot[0].queueDrops + s.slot[1].queueDrops});
    while (m_history.size() > 1 && m_history.front().t < now - kRecentSeconds)
        m_history.pop_front();

    pollLevels(now);
    // Silence since the last change of what plays: a commit (or its undo) or a rollback.
    const std::uint64_t playChanges = s.commits + s.rollbacks;
    if (first || playChanges != m_playChanges) {
        m_playChanges = playChanges;
        m_playChangedAt = now;
        m_soundSinceChange = false;
        m_causeRead = false;
    }
    if (std::max(m_levelDb[0], m_levelDb[1]) > kSilenceDb)
        m_soundSinceChange = true;
    m_silent = m_meter && s.commits > 0 && !m_soundSinceChange && !m_audioStalled &&
               now - m_playChangedAt >= kSilenceSeconds;
    if (m_silent && !m_causeRead) {
        m_silenceCause = silenceCause(m_engine.committed());
        m_causeRead = true;
    }
    std::array<QString, 2> slotHealth;
    const QStringList problems = m_problems;
    judgeHealth(s, slotHealth);
    m_slots.update(s, slotHealth);

    // Every value is in place before the first NOTIFY, so a handler reading another property sees
    // this poll's value.
    if (first || s.activeSlot != o.activeSlot)
        emit activeSlotChanged();
    if (first || s.fading != o.fading)
        emit fadingChanged();
    if (first || s.fadeProgress != o.fadeProgress)
        emit fadeProgressChanged();
    if (first || s.commits != o.commits)
        emit commitsChanged();
    if (first || s.lastPrimeMs != o.lastPrimeMs)
        emit lastPrimeMsChanged();
    if (first || s.lastCommitMs != o.lastCommitMs)
        emit lastCommitMsChanged();
    if (first || s.failovers != o.failovers)
        emit failoversChanged();
    if (first || s.rollbacks != o.rollbacks)
        emit rollbacksChanged();
    if (xrunsChange)
        emit xrunsChanged();
    if (noneWindowChange)
        emit noneReadsWindowChanged();
    if (noneTotalChange)
        emit noneReadsTotalChanged();
    if (first || s.slot[0].dspLoad + s.slot[1].dspLoad != o.slot[0].dspLoad + o.slot[1].dspLoad)
        emit dspLoadTotalChanged();
    if (first || s.sampleRate != o.sampleRate || s.blockSize != o.blockSize ||
        s.ringTargetBlocks != o.ringTargetBlocks)
        emit formatChanged();
    if (first || problems != m_problems)
        emit healthChanged();
    pollScope();
}

void StatusModel::pollLevels(double now) {
    if (!m_meter)
        return;
    const double dt = std::max(0.0, now - m_levelTime);
    m_levelTime = now;
    std::array<double, 2> level{}, hold{}, rms{};
    bool clipped = false;
    for (std::size_t c = 0; c < 2; ++c) {
        const float peak = m_meter->heldPeak(static_cast<int>(c));
        clipped = clipped || peak >= 1.0f;
        level[c] = audio::MeterTap::toDb(static_cast<double>(peak), kFloorDb);
        rms[c] = audio::MeterTap::toDb(static_cast<double>(m_meter->windowRms(static_cast<int>(c))), kFloorDb);
        if (level[c] >= m_holdDb[c]) {
            hold[c] = level[c];
            m_holdSince[c] = now;
        } else if (now - m_holdSince[c] > kHoldSeconds) {
            hold[c] = std::max(level[c], m_holdDb[c] - kHoldFallDbPerSecond * dt);
        } else {
            hold[c] = m_holdDb[c];
        }
    }
    if (clipped)
        m_lastClip = now;
    const bool clipping = now - m_lastClip < kClipHoldSeconds;
    const bool levelChange = level != m_levelDb || hold != m_holdDb || rms != m_rmsDb;
    m_levelDb = level;
    m_holdDb = hold;
    m_rmsDb = rms;
    if (levelChange)
        emit levelChanged();
    if (clipping != m_clipping) {
        m_clipping = clipping;
        emit clippingChanged();
    }
}

void StatusModel::pollScope() {
    if (!m_meter)
        return;
    const std::uint64_t written = m_meter->framesWritten();
    if (written == m_scopeWritten)
        return;
    m_scopeWritten = written;
    // Twice the frames drawn, so the window can start at a rising zero crossing of the left
    // channel: the newest such window, or simply the newest frames when there is none.
    const std::size_t n = m_meter->copyLatest(m_scopeCopy.data(), 2 * kScopeFrames);
    const std::size_t shown = std::min<std::size_t>(n, kScopeFrames);
    std::size_t start = n - shown;
    for (std::size_t t = start; t >= 1 && shown == kScopeFrames; --t) {
        if (m_scopeCopy[2 * (t - 1)] < 0.0f && m_scopeCopy[2 * t] >= 0.0f) {
            start = t;
            break;
        }
    }
    m_scope.assign(m_scopeCopy.begin() + static_cast<std::ptrdiff_t>(2 * start),
                   m_scopeCopy.begin() + static_cast<std::ptrdiff_t>(2 * (start + shown)));
    emit scopeUpdated();
}

void StatusModel::judgeHealth(const engine::EngineStats& s, std::array<QString, 2>& slotHealth) {
    enum Severity { Warning, Error };
    struct Problem {
        Severity severity;
        QString text;
    };
    std::vector<Problem> problems;
    const Sample& past = m_history.front();
    const Sample& current = m_history.back();

    if (m_audioStalled)
        problems.push_back({Warning, QStringLiteral("no audio: the callbacks stopped")});
    for (std::size_t i = 0; i < 2; ++i) {
        const engine::SlotStats& slot = s.slot[i];
        const QString name = slotName(static_cast<int>(i));
        QString health = QStringLiteral("ok");
        if (slot.state == engine::SlotState::Failed) {
            problems.push_back({Error, QStringLiteral("slot %1 failed").arg(name)});
            health = QStringLiteral("error");
        } else if (slot.noneReadsWindow > 0) {
            health = QStringLiteral("error"); // said once for both slots below
        } else if (slot.dspLoad >= kDspError) {
            problems.push_back({Error, QStringLiteral("slot %1 cannot keep up: DSP %2").arg(name, percent(slot.dspLoad))});
            health = QStringLiteral("error");
        } else if (slot.dspLoad >= kDspWarning) {
            problems.push_back({Warning, QStringLiteral("slot %1 DSP load %2").arg(name, percent(slot.dspLoad))});
            health = QStringLiteral("warning");
        }
        slotHealth[i] = health;
    }
    if (current.muted > past.muted)
        problems.push_back({Error, QStringLiteral("output muted: no healthy slot to play")});
    if (m_noneReadsWindow > 0)
        problems.push_back({Error, plural(m_noneReadsWindow, "none-read", "none-reads") + QLatin1Char(' ') +
                                       windowPhrase(m_engine.config().statsWindowSeconds)});
    if (current.failovers > past.failovers)
        problems.push_back({Warning, current.failovers - past.failovers == 1
                                         ? QStringLiteral("failover: now playing slot %1").arg(slotName(s.activeSlot))
                                         : QStringLiteral("%1 failovers in the last %2 s")
                                               .arg(current.failovers - past.failovers)
                                               .arg(kRecentSeconds)});
    if (current.rollbacks > past.rollbacks)
        problems.push_back({Warning, QStringLiteral("commit rolled back: the new patch was unhealthy")});
    if (current.xruns > past.xruns)
        problems.push_back({Warning, QStringLiteral("xruns: %1 in the last %2 s").arg(current.xruns - past.xruns).arg(kRecentSeconds)});
    if (current.queueDrops > past.queueDrops)
        problems.push_back({Warning, plural(current.queueDrops - past.queueDrops, "command", "commands") +
                                         QStringLiteral(" dropped: queue full")});
    if (m_clipping)
        problems.push_back({Warning, QStringLiteral("output clipping")});
    if (m_silent)
        problems.push_back({Warning, m_silenceCause.isEmpty()
                                         ? QStringLiteral("silent since the commit")
                                         : QStringLiteral("silent since the commit: ") + m_silenceCause});

    std::stable_sort(problems.begin(), problems.end(),
                     [](const Problem& a, const Problem& b) { return a.severity > b.severity; });
    m_problems.clear();
    for (const Problem& p : problems)
        m_problems << p.text;
    if (problems.empty()) {
        m_health = QStringLiteral("ok");
        m_healthText.clear();
        return;
    }
    m_health = problems.front().severity == Error ? QStringLiteral("error") : QStringLiteral("warning");
    m_healthText = problems.front().text;
    if (problems.size() > 1)
        m_healthText += QStringLiteral(" (+%1 more)").arg(problems.size() - 1);
}

QString StatusModel::silenceCause(const engine::PatchGraph& patch) {
    const std::string out(engine::ModuleRegistry::kOutputId);
    const std::vector<engine::Cable> audio = patch.effectiveCables();
    const auto intoOut = [&](const engine::Cable& c) { return c.to == out; };
    if (std::none_of(audio.begin(), audio.end(), intoOut))
        return QStringLiteral("nothing is connected to %1").arg(QString::fromStdString(out));

    // An input a module cannot sound without, and what happens when it is left open.
    struct Needed {
        const char* type;
        const char* input;
        const char* consequence;
    };
    static constexpr Needed kNeeded[] = {{"adsr", "gate", "it never opens"},
                                         {"kick", "trig", "it is never struck"},
                                         {"snare", "trig", "it is never struck"},
                                         {"hihat", "trig", "it is never struck"},
                                         {"sequencer", "clock", "it never steps"}};
    const auto fed = [&](const engine::PatchNode& n, engine::PortIndex port) {
        return std::any_of(audio.begin(), audio.end(),
                           [&](const engine::Cable& c) { return c.to == n.id && c.toPort == port; });
    };
    // Back from `out`, breadth first: the nearest problem is the likeliest to be the one.
    std::vector<std::string> queue{out};
    std::set<std::string> seen{out};
    for (std::size_t head = 0; head < queue.size(); ++head) {
        const engine::PatchNode* node = patch.find(queue[head]);
        if (!node)
            continue;
        const QString id = QString::fromStdString(node->id);
        for (const Needed& need : kNeeded) {
            if (std::string_view(node->type->id) != need.type)
                continue;
            const engine::PortIndex port = node->type->findInput(need.input);
            if (port >= 0 && !fed(*node, port))
                return QStringLiteral("nothing on %1's %2 (%3)")
                    .arg(id, QLatin1String(need.input), QLatin1String(need.consequence));
        }
        for (std::size_t p = 0; p < node->params.size(); ++p) {
            const std::string_view param = node->type->params[p].id;
            if ((param == "level" || param == "gain") && node->params[p] == 0.0)
                return QStringLiteral("%1's %2 is 0").arg(id, QLatin1String(param.data(), static_cast<qsizetype>(param.size())));
        }
        for (const engine::Cable& c : audio)
            if (c.to == node->id && seen.insert(c.from).second)
                queue.push_back(c.from);
    }
    return {};
}

} // namespace chronus::editor
