#include "Sequencer.hpp"

#include "Tempo.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace chronus::engine {

namespace {
constexpr int kMaxSteps = Sequencer::kMaxSteps;

// "step1".."step64", "note1".."note64" and "spell1".."spell64", stored once for the parameter table.
struct StepNames {
    char step[kMaxSteps][8] = {};
    char note[kMaxSteps][8] = {};
    char spell[kMaxSteps][8] = {};
};

constexpr void writeName(char* dst, const char* prefix, int n) {
    int i = 0;
    for (; prefix[i]; ++i)
        dst[i] = prefix[i];
    if (n >= 10)
        dst[i++] = static_cast<char>('0' + n / 10);
    dst[i++] = static_cast<char>('0' + n % 10);
    dst[i] = '\0';
}

constexpr StepNames makeStepNames() {
    StepNames names;
    for (int i = 0; i < kMaxSteps; ++i) {
        writeName(names.step[i], "step", i + 1);
        writeName(names.note[i], "note", i + 1);
        writeName(names.spell[i], "spell", i + 1);
    }
    return names;
}

constexpr StepNames kStepNames = makeStepNames();

constexpr std::array<ParamSpec, Sequencer::ParamCount> makeParams() {
    std::array<ParamSpec, Sequencer::ParamCount> p{};
    p[Sequencer::Length] = {"length", "Length", "steps", 1.0f, 64.0f, 16.0f, ParamDiscrete};
    p[Sequencer::GateLength] = {"gate", "Gate length", "step", 0.05f, 1.0f, 0.5f};
    p[Sequencer::Transpose] = {"transpose", "Transpose", "st", -48.0f, 48.0f, 0.0f, ParamDiscrete};
    for (int i = 0; i < kMaxSteps; ++i) {
        // Four on the floor until told otherwise: a new sequencer is heard at once.
        p[static_cast<std::size_t>(Sequencer::FirstStep + i)] = {
            kStepNames.step[i], kStepNames.step[i], "", 0.0f, 2.0f, i % 4 == 0 ? 1.0f : 0.0f,
            ParamDiscrete | ParamHidden, nullptr, "rest|hit|accent"};
        p[static_cast<std::size_t>(Sequencer::FirstNote + i)] = {
            kStepNames.note[i], kStepNames.note[i], "MIDI", 0.0f, 127.0f, Sequencer::kDefaultNote, ParamHidden};
        p[static_cast<std::size_t>(Sequencer::FirstSpelling + i)] = {
            kStepNames.spell[i], kStepNames.spell[i], "", 0.0f, 4.0f, 0.0f,
            ParamDiscrete | ParamHidden, nullptr, "name|sharp|flat|midi|hz"};
    }
    return p;
}

Status parseText(int index, std::string_view text, std::vector<ParamValue>& out) {
    return index == Sequencer::Pattern ? Sequencer::parsePattern(text, out) : Sequencer::parseNotes(text, out);
}

std::string formatText(int index, std::span<const double> params) {
    return index == Sequencer::Pattern ? Sequencer::formatPattern(params) : Sequencer::formatNotes(params);
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ','; }
} // namespace

const std::array<ParamSpec, Sequencer::ParamCount> Sequencer::kParams = makeParams();
const TextForm Sequencer::kTextForm{kTexts, &parseText, &formatText};
const ModuleType Sequencer::kType{"sequencer", "Step sequencer", "Sequencing",
                                  "Up to 64 steps (x hit, X accent, . rest) with notes, clocked by a Clock",
                                  kParams, kInputs, kOutputs, &createModule<Sequencer>, &kTextForm};

Status Sequencer::parsePattern(std::string_view text, std::vector<ParamValue>& out) {
    std::vector<ParamValue> steps;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (isSpace(c) || c == '|')
            continue;
        int kind;
        if (c == 'x' || c == 'o')
            kind = Hit;
        else if (c == 'X' || c == 'O')
            kind = Accent;
        else if (c == '.' || c == '-' || c == '_')
            kind = Rest;
        else
            return Status::error(ErrorCode::InvalidValue,
                                 "pattern: '" + std::string(1, c) + "' at position " + std::to_string(i + 1) +
                                     " is not a step (x hit, X accent, . rest)");
        if (steps.size() == kMaxSteps)
            return Status::error(ErrorCode::InvalidValue,
                                 "pattern: more than " + std::to_string(kMaxSteps) + " steps");
        steps.push_back({static_cast<ParamIndex>(FirstStep + static_cast<int>(steps.size())), double(kind)});
    }
    if (steps.empty())
        return Status::error(ErrorCode::InvalidValue, "pattern: no steps (x hit, X accent, . rest)");
    out.push_back({Length, static_cast<double>(steps.size())});
    for (int i = static_cast<int>(steps.size()); i < kMaxSteps; ++i)
        steps.push_back({static_cast<ParamIndex>(FirstStep + i), double(Rest)});
    out.insert(out.end(), steps.begin(), steps.end());
    return {};
}

std::optional<double> Sequencer::parseNote(std::string_view token) {
    if (const std::optional<Note> note = parseSpelledNote(token))
        return note->midi;
    return std::nullopt;
}

std::optional<Sequencer::Note> Sequencer::parseSpelledNote(std::string_view token) {
    if (token.empty())
        return std::nullopt;
    Spelling spelling = SpellName;
    const auto finish = [&spelling](double midi) -> std::optional<Note> {
        if (!std::isfinite(midi) || midi < 0.0 || midi > 127.0)
            return std::nullopt;
        return Note{midi, spelling};
    };
    // Hz: a number followed by "hz".
    if (token.size() > 2) {
        const std::string_view suffix = token.substr(token.size() - 2);
        if ((suffix[0] == 'h' || suffix[0] == 'H') && (suffix[1] == 'z' || suffix[1] == 'Z')) {
            double hz = 0.0;
            const std::string_view number = token.substr(0, token.size() - 2);
            auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), hz);
            if (ec != std::errc{} || end != number.data() + number.size() || !(hz > 0.0))
                return std::nullopt;
            spelling = SpellHz;
            return finish(tempo::kPitchReferenceMidi + 12.0 * std::log2(hz / tempo::kPitchReferenceHz));
        }
    }
    // A MIDI number.
    if ((token[0] >= '0' && token[0] <= '9')) {
        double midi = 0.0;
        auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), midi);
        if (ec != std::errc{} || end != token.data() + token.size())
            return std::nullopt;
        spelling = SpellMidi;
        return finish(midi);
    }
    // A note name: letter, optional # or b, octave (C4 = 60, A4 = 69; octaves -1 to 9).
    static constexpr int kSemitone[7] = {9, 11, 0, 2, 4, 5, 7}; // A B C D E F G
    const char letter = static_cast<char>(token[0] >= 'a' ? token[0] - 'a' + 'A' : token[0]);
    if (letter < 'A' || letter > 'G')
        return std::nullopt;
    int semitone = kSemitone[letter - 'A'];
    std::size_t pos = 1;
    if (pos < token.size() && (token[pos] == '#' || token[pos] == 's')) {
        ++semitone;
        ++pos;
        spelling = SpellSharp;
    } else if (pos < token.size() && token[pos] == 'b') {
        --semitone;
        ++pos;
        spelling = SpellFlat;
    }
    int octave = 0;
    const std::string_view rest = token.substr(pos);
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), octave);
    if (rest.empty() || ec != std::errc{} || end != rest.data() + rest.size() || octave < -1 || octave > 9)
        return std::nullopt;
    return finish(static_cast<double>((octave + 1) * 12 + semitone));
}

Status Sequencer::parseNotes(std::string_view text, std::vector<ParamValue>& out) {
    std::vector<Note> notes;
    std::size_t i = 0;
    while (i < text.size()) {
        if (isSpace(text[i]) || text[i] == '|') {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && !isSpace(text[j]) && text[j] != '|')
            ++j;
        const std::string_view token = text.substr(i, j - i);
        const std::optional<Note> note = parseSpelledNote(token);
        if (!note)
            return Status::error(ErrorCode::InvalidValue,
                                 "notes: '" + std::string(token.substr(0, 32)) +
                                     "' is not a note (note name like C2 or D#3, MIDI number 0-127, or Hz like 55hz)");
        if (notes.size() == kMaxSteps)
            return Status::error(ErrorCode::InvalidValue, "notes: more than " + std::to_string(kMaxSteps));
        notes.push_back(*note);
        i = j;
    }
    if (notes.empty())
        return Status::error(ErrorCode::InvalidValue, "notes: none given");
    for (int s = 0; s < kMaxSteps; ++s) {
        const Note& note = notes[static_cast<std::size_t>(s) % notes.size()];
        out.push_back({static_cast<ParamIndex>(FirstNote + s), note.midi});
        out.push_back({static_cast<ParamIndex>(FirstSpelling + s), static_cast<double>(note.spelling)});
    }
    return {};
}

std::string Sequencer::noteName(double midi, Spelling spelling) {
    // A MIDI number in the shortest form that reads back exactly.
    const auto number = [](double value) {
        char buffer[32];
        auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
        return ec == std::errc{} ? std::string(buffer, end) : std::string("69");
    };
    if (spelling == SpellMidi)
        return number(midi);
    if (spelling == SpellHz) {
        // The fewest decimals that read back as this very note.
        const double hz = tempo::kPitchReferenceHz * std::exp2((midi - tempo::kPitchReferenceMidi) / 12.0);
        for (int decimals = 0; decimals <= 12; ++decimals) {
            char buffer[64];
            auto [end, ec] =
                std::to_chars(buffer, buffer + sizeof buffer - 2, hz, std::chars_format::fixed, decimals);
            if (ec != std::errc{})
                break;
            std::string text(buffer, end);
            if (text.find('.') != std::string::npos) {
                while (text.back() == '0')
                    text.pop_back();
                if (text.back() == '.')
                    text.pop_back();
            }
            text += "hz";
            if (parseNote(text) == midi)
                return text;
        }
        return number(midi);
    }
    const double rounded = std::round(midi);
    if (std::fabs(midi - rounded) >= 1e-6)
        return number(midi); // a tuning between the notes
    static constexpr const char* kNames[12] = {"C",  "C#", "D",  "D#", "E",  "F",
                                               "F#", "G",  "G#", "A",  "A#", "B"};
    const auto white = [](int m) { return m >= 0 && m <= 127 && kNames[m % 12][1] == '\0'; };
    const int m = static_cast<int>(rounded);
    // The letter of the white key next to the note, then the accidental: E# is F, Cb4 is B3.
    if (spelling == SpellSharp && white(m - 1))
        return std::string(kNames[(m - 1) % 12]) + "#" + std::to_string((m - 1) / 12 - 1);
    if (spelling == SpellFlat && white(m + 1))
        return std::string(kNames[(m + 1) % 12]) + "b" + std::to_string((m + 1) / 12 - 1);
    return std::string(kNames[m % 12]) + std::to_string(m / 12 - 1);
}

std::string Sequencer::formatPattern(std::span<const double> params) {
    const int length = std::clamp(static_cast<int>(std::lround(params[Length])), 1, kMaxSteps);
    std::string text;
    for (int i = 0; i < length; ++i) {
        const long kind = std::lround(params[static_cast<std::size_t>(FirstStep + i)]);
        text += kind == Accent ? 'X' : kind == Hit ? 'x' : '.';
    }
    return text;
}

std::string Sequencer::formatNotes(std::span<const double> params) {
    const auto note = [&](int i) { return params[static_cast<std::size_t>(FirstNote + i)]; };
    const auto spelling = [&](int i) {
        return static_cast<Spelling>(std::lround(params[static_cast<std::size_t>(FirstSpelling + i)]));
    };
    int period = kMaxSteps; // the shortest list that repeats into all 64
    for (int p = 1; p < kMaxSteps; ++p) {
        bool repeats = true;
        for (int i = p; i < kMaxSteps && repeats; ++i)
            repeats = note(i) == note(i % p) && spelling(i) == spelling(i % p);
        if (repeats) {
            period = p;
            break;
        }
    }
    std::string text;
    for (int i = 0; i < period; ++i) {
        if (i)
            text += ' ';
        text += noteName(note(i), spelling(i));
    }
    return text;
}

void Sequencer::onPrepare(const PrepareInfo& info) {
    m_step = -1;
    m_sinceEdge = 0;
    m_interval = m_previousInterval = 0;
    m_defaultInterval = static_cast<std::int64_t>(std::lround(info.sampleRate * 0.125)); // a 16th at 120 BPM
    m_gateLeft = 0;
    m_gateHigh = m_restartNext = m_seenEdge = m_lastOut = false;
    m_pitch = 0.0f;
    m_accent = 0.0f;
    m_prevClock = m_prevReset = 0.0f;
    m_resetPending = false;
}

void Sequencer::restartTransport() noexcept {
    m_step = -1;
    m_sinceEdge = 0;
    m_seenEdge = false;
    m_gateLeft = 0;
    m_gateHigh = m_restartNext = m_lastOut = false;
    m_accent = 0.0f;
    m_prevClock = m_prevReset = 0.0f;
    m_resetPending = false;
}

void Sequencer::startStep() noexcept {
    const int length = std::clamp(static_cast<int>(param(Length).current()), 1, kMaxSteps);
    m_step = (m_resetPending || m_step < 0) ? 0 : (m_step + 1) % length;
    m_resetPending = false;
    const int kind = static_cast<int>(param(static_cast<ParamIndex>(FirstStep + m_step)).current());
    if (kind == Rest) {
        m_accent = 0.0f;
        return;
    }
    const std::int64_t step =
        m_previousInterval > 0 ? (m_interval + m_previousInterval) / 2 : m_interval > 0 ? m_interval : m_defaultInterval;
    const double gate = param(GateLength).target();
    m_gateLeft = std::clamp<std::int64_t>(std::llround(gate * static_cast<double>(step)), 1,
                                          std::max<std::int64_t>(1, step - 2)); // low before the next edge, whatever its jitter
    const double note = param(static_cast<ParamIndex>(FirstNote + m_step)).target() + param(Transpose).current();
    m_pitch = static_cast<float>((note - tempo::kPitchReferenceMidi) / 12.0);
    m_accent = kind == Accent ? 1.0f : 0.0f;
    // Still high from a gate longer than the clock now allows: low for this sample, so the hit is
    // an edge, and high again from the next (one sample shorter, to end where it would have).
    m_restartNext = m_lastOut;
    m_gateHigh = !m_lastOut;
    if (m_restartNext && m_gateLeft > 1)
        --m_gateLeft;
}

void Sequencer::process(const ProcessContext& ctx) noexcept {
    const float* clock = ctx.inputs[ClockIn];
    const float* reset = ctx.inputs[ResetIn];
    float* gateOut = ctx.outputs[GateOut];
    float* pitchOut = ctx.outputs[PitchOut];
    float* accentOut = ctx.outputs[AccentOut];
    for (int i = 0; i < ctx.frames; ++i) {
        if (reset) {
            if (reset[i] > 0.5f && m_prevReset <= 0.5f)
                m_resetPending = true;
            m_prevReset = reset[i];
        }
        ++m_sinceEdge;
        if (m_restartNext) {
            m_restartNext = false;
            m_gateHigh = true;
        }
        if (clock) {
            if (clock[i] > 0.5f && m_prevClock <= 0.5f) {
                if (m_seenEdge) {
                    m_previousInterval = m_interval;
                    m_interval = m_sinceEdge;
                }
                m_seenEdge = true;
                m_sinceEdge = 0;
                startStep();
            }
            m_prevClock = clock[i];
        }
        gateOut[i] = m_gateHigh ? 1.0f : 0.0f;
        m_lastOut = m_gateHigh;
        if (m_gateHigh && --m_gateLeft <= 0)
            m_gateHigh = false;
        pitchOut[i] = m_pitch;
        accentOut[i] = m_accent;
    }
}

} // namespace chronus::engine
