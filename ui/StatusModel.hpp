#pragma once
// The status panel's data (the status fields the README lists under "How the engine plays"): a QTimer on the GUI thread polls the engine's
// lock-free stats, the driver's xrun counter and the output's MeterTap, and each property emits its
// NOTIFY only when its value changed. Nothing here is ever called from the audio thread.
//
// Health is judged on each poll from what changed recently:
//   error   - a slot failed, the output was muted (nothing healthy to play), none-reads in the
//             engine's last stats window, or a slot's worker cannot keep up (DSP load >= 100%);
//   warning - xruns, a failover, a rollback or dropped commands in the last few seconds, the output
//             clipping, a slot's DSP load above 75%, no audio callback for half a second, or no
//             sound at all for a second since the last commit (with the likely cause, read from
//             the committed patch: an envelope with nothing on its gate, nothing into `out`, ...);
//   ok      - none of these.
// healthText says the most serious problem in one line ("3 none-reads in the last second").

#include "engine/PatchGraph.hpp"
#include "engine/SlotEngine.hpp"

#include <QAbstractListModel>
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

#include <array>
#include <cstdint>
#include <deque>
#include <vector>

namespace chronus::audio {
class AudioDriver;
class MeterTap;
} // namespace chronus::audio

namespace chronus::editor {

// Slot A and slot B, one row each, as the last poll saw them.
class SlotStatusModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by StatusModel")

public:
    enum Role {
        NameRole = Qt::UserRole + 1, // "A" or "B"
        StateRole,                   // slotStateName(): "active", "mirror", "priming", "failed", ...
        ActiveRole,
        PrimeReadyRole,
        InStepRole,
        OccupancyRole, // blocks in the ring now
        OccupancyMinRole, // over the engine's last stats window
        OccupancyMaxRole,
        NoneReadsRole, // since start
        NoneReadsWindowRole,
        DspLoadRole, // render time / real time
        RealtimeRole,
        HealthRole, // "ok", "warning" or "error"
        PidRole,      // the worker process; 0 with threads or while it restarts
        RestartsRole, // worker processes started after the first
        LastExitRole, // how the last worker died, and in which module: empty when none did
    };
    Q_ENUM(Role)

    explicit SlotStatusModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    // GUI thread. Takes one poll's view of the slots; emits dataChanged per row for the roles
    // that changed, nothing when nothing did.
    void update(const engine::EngineStats& stats, const std::array<QString, 2>& health);

private:
    struct Row {
        engine::SlotStats stats;
        bool active = false;
        QString health = QStringLiteral("ok");
    };
    std::array<Row, 2> m_rows{};
};

class StatusModel : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("built in main() around the engine, the driver and the meter")

    Q_PROPERTY(int activeSlot READ activeSlot NOTIFY activeSlotChanged FINAL)
    Q_PROPERTY(QString activeSlotName READ activeSlotName NOTIFY activeSlotChanged FINAL)
    Q_PROPERTY(bool fading READ fading NOTIFY fadingChanged FINAL)
    Q_PROPERTY(double fadeProgress READ fadeProgress NOTIFY fadeProgressChanged FINAL)
    Q_PROPERTY(qulonglong commits READ commits NOTIFY commitsChanged FINAL)
    Q_PROPERTY(double lastPrimeMs READ lastPrimeMs NOTIFY lastPrimeMsChanged FINAL)
    Q_PROPERTY(double lastCommitMs READ lastCommitMs NOTIFY lastCommitMsChanged FINAL)
    Q_PROPERTY(qulonglong failovers READ failovers NOTIFY failoversChanged FINAL)
    Q_PROPERTY(qulonglong rollbacks READ rollbacks NOTIFY rollbacksChanged FINAL)
    Q_PROPERTY(qulonglong xruns READ xruns NOTIFY xrunsChanged FINAL)
    Q_PROPERTY(qulonglong noneReadsWindow READ noneReadsWindow NOTIFY noneReadsWindowChanged FINAL)
    Q_PROPERTY(qulonglong noneReadsTotal READ noneReadsTotal NOTIFY noneReadsTotalChanged FINAL)
    Q_PROPERTY(double dspLoadTotal READ dspLoadTotal NOTIFY dspLoadTotalChanged FINAL)
    Q_PROPERTY(double sampleRate READ sampleRate NOTIFY formatChanged FINAL)
    Q_PROPERTY(int blockSize READ blockSize NOTIFY formatChanged FINAL)
    Q_PROPERTY(int ringTarget READ ringTarget NOTIFY formatChanged FINAL)
    // Output level in dBFS, never below kFloorDb: the peak of the last 85-170 ms (the MeterTap's
    // held peak: nothing slips between two polls), that peak held 1.5 s then falling 20 dB/s, and
    // the RMS of the last 85 ms.
    Q_PROPERTY(double levelDbL READ levelDbL NOTIFY levelChanged FINAL)
    Q_PROPERTY(double levelDbR READ levelDbR NOTIFY levelChanged FINAL)
    Q_PROPERTY(double peakHoldDbL READ peakHoldDbL NOTIFY levelChanged FINAL)
    Q_PROPERTY(double peakHoldDbR READ peakHoldDbR NOTIFY levelChanged FINAL)
    Q_PROPERTY(double rmsDbL READ rmsDbL NOTIFY levelChanged FINAL)
    Q_PROPERTY(double rmsDbR READ rmsDbR NOTIFY levelChanged FINAL)
    Q_PROPERTY(double floorDb READ floorDb CONSTANT FINAL)
    // A peak at or above 0 dBFS in the last 2 seconds.
    Q_PROPERTY(bool clipping READ clipping NOTIFY clippingChanged FINAL)
    Q_PROPERTY(QString health READ health NOTIFY healthChanged FINAL)
    Q_PROPERTY(QString healthText READ healthText NOTIFY healthChanged FINAL)
    // Every problem found, most serious first (healthText is the first of them).
    Q_PROPERTY(QStringList problems READ problems NOTIFY healthChanged FINAL)
    Q_PROPERTY(chronus::editor::SlotStatusModel* slots READ slotModel CONSTANT FINAL)
    Q_PROPERTY(bool polling READ polling NOTIFY pollingChanged FINAL)

public:
    static constexpr double kFloorDb = -90.0;
    static constexpr int kScopeFrames = 1024; // what the scope draws
    static constexpr double kRecentSeconds = 5.0; // how long a failover, rollback or xrun keeps a warning
    static constexpr double kClipHoldSeconds = 2.0;
    // Below this peak the output counts as silent; this long silent after a commit is a warning.
    static constexpr double kSilenceDb = -80.0;
    static constexpr double kSilenceSeconds = 1.0;

    // `driver` and `meter` may be null (no xruns from the device, no levels, no scope); all three
    // must outlive the model.
    StatusModel(const engine::SlotEngine& engine, const audio::AudioDriver* driver, const audio::MeterTap* meter,
                QObject* parent = nullptr);
    ~StatusModel() override;

    // GUI thread. One look at the engine, the driver and the meter; emits what changed, and
    // scopeUpdated() when the scope got new frames.
    Q_INVOKABLE void poll();
    // GUI thread. Polls every `intervalMs` from now on (33 ms: 30 Hz).
    void start(int intervalMs = 33);
    void stop();
    bool polling() const { return m_timer.isActive(); }

    int activeSlot() const noexcept { return m_stats.activeSlot; }
    QString activeSlotName() const { return slotName(m_stats.activeSlot); }
    bool fading() const noexcept { return m_stats.fading; }
    double fadeProgress() const noexcept { return m_stats.fadeProgress; }
    qulonglong commits() const noexcept { return m_stats.commits; }
    double lastPrimeMs() const noexcept { return m_stats.lastPrimeMs; }
    double lastCommitMs() const noexcept { return m_stats.lastCommitMs; }
    qulonglong failovers() const noexcept { return m_stats.failovers; }
    qulonglong rollbacks() const noexcept { return m_stats.rollbacks; }
    qulonglong xruns() const noexcept { return m_xruns; }
    qulonglong noneReadsWindow() const noexcept { return m_noneReadsWindow; }
    qulonglong noneReadsTotal() const noexcept { return m_noneReadsTotal; }
    double dspLoadTotal() const noexcept { return m_stats.slot[0].dspLoad + m_stats.slot[1].dspLoad; }
    double sampleRate() const noexcept { return m_stats.sampleRate; }
    int blockSize() const noexcept { return m_stats.blockSize; }
    int ringTarget() const noexcept { return m_stats.ringTargetBlocks; }
    double levelDbL() const noexcept { return m_levelDb[0]; }
    double levelDbR() const noexcept { return m_levelDb[1]; }
    double peakHoldDbL() const noexcept { return m_holdDb[0]; }
    double peakHoldDbR() const noexcept { return m_holdDb[1]; }
    double rmsDbL() const noexcept { return m_rmsDb[0]; }
    double rmsDbR() const noexcept { return m_rmsDb[1]; }
    double floorDb() const noexcept { return kFloorDb; }
    bool clipping() const noexcept { return m_clipping; }
    QString health() const { return m_health; }
    QString healthText() const { return m_healthText; }
    QStringList problems() const { return m_problems; }
    SlotStatusModel* slotModel() noexcept { return &m_slots; }

    // GUI thread (and the scene graph's sync, which runs while the GUI thread waits). The frames
    // the scope draws, interleaved stereo, oldest first: up to kScopeFrames, starting at a rising
    // zero crossing of the left channel when there is one, so a steady tone stands still.
    const std::vector<float>& scopeFrames() const noexcept { return m_scope; }
    int scopeFrameCount() const noexcept { return static_cast<int>(m_scope.size() / 2); }

    static QString slotName(int slot) { return slot == 0 ? QStringLiteral("A") : QStringLiteral("B"); }
    // Why `patch` is likely silent, in a few words ("nothing on env1's gate (it never opens)"),
    // or "" when its structure shows no reason. Follows the cables the audio takes back from
    // `out`, nearest first.
    static QString silenceCause(const engine::PatchGraph& patch);
    // True while the warning "silent since the commit" stands.
    bool silentSinceCommit() const noexcept { return m_silent; }

signals:
    void activeSlotChanged();
    void fadingChanged();
    void fadeProgressChanged();
    void commitsChanged();
    void lastPrimeMsChanged();
    void lastCommitMsChanged();
    void failoversChanged();
    void rollbacksChanged();
    void xrunsChanged();
    void noneReadsWindowChanged();
    void noneReadsTotalChanged();
    void dspLoadTotalChanged();
    void formatChanged();
    void levelChanged();
    void clippingChanged();
    void healthChanged();
    void pollingChanged();
    void scopeUpdated();

private:
    // Counters as they were at one poll, to tell what changed in the last kRecentSeconds.
    struct Sample {
        double t = 0.0; // seconds since the model started
        std::uint64_t xruns = 0, failovers = 0, rollbacks = 0, muted = 0, queueDrops = 0;
    };
    void pollLevels(double now);
    void pollScope();
    // Sets m_health, m_healthText and m_problems; `slotHealth` gets each slot's verdict.
    void judgeHealth(const engine::EngineStats& stats, std::array<QString, 2>& slotHealth);

    const engine::SlotEngine& m_engine;
    const audio::AudioDriver* m_driver;
    const audio::MeterTap* m_meter;
    SlotStatusModel m_slots;
    QTimer m_timer;
    QElapsedTimer m_clock;
    bool m_polled = false; // a first poll happened (before it, every value is "changed")

    engine::EngineStats m_stats{};
    std::uint64_t m_xruns = 0;
    std::uint64_t m_noneReadsWindow = 0;
    std::uint64_t m_noneReadsTotal = 0;
    std::deque<Sample> m_history; // the last kRecentSeconds of polls, oldest first

    std::array<double, 2> m_levelDb{kFloorDb, kFloorDb};
    std::array<double, 2> m_holdDb{kFloorDb, kFloorDb};
    std::array<double, 2> m_holdSince{}; // when each hold was set
    std::array<double, 2> m_rmsDb{kFloorDb, kFloorDb};
    double m_levelTime = 0.0;
    double m_lastClip = -1e9;
    double m_lastAudio = 0.0; // when the engine's output counter last moved
    bool m_audioStalled = false;
    bool m_clipping = false;
    // Silence after a commit: commits and rollbacks seen (either changes what plays), when the
    // last of them was seen, whether any sound came since, and the cause read once per commit
    // (reading the committed patch takes the engine's lock: not on every poll).
    std::uint64_t m_playChanges = 0;
    double m_playChangedAt = 0.0;
    bool m_soundSinceChange = false;
    bool m_silent = false;
    bool m_causeRead = false;
    QString m_silenceCause;

    QString m_health = QStringLiteral("ok");
    QString m_healthText;
    QStringList m_problems;

    std::uint64_t m_scopeWritten = 0; // the meter's frame count at the last scope copy
    std::vector<float> m_scope;       // what the scope draws
    std::vector<float> m_scopeCopy;   // scratch: twice that, to find a trigger in
};

} // namespace chronus::editor
