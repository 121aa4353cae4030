package fairspec

import "luckbox/lottery"

// Vectors is the content of docs/fairness-vectors.json. 64-bit values are
// decimal strings (JavaScript numbers cannot hold them); hashes, seeds and
// salts lowercase hex.
type Vectors struct {
	About       string        `json:"about"`
	SeedHash    []SeedCase    `json:"seed_hash"`
	EntriesHash []EntriesCase `json:"entries_hash"`
	Words       []WordsCase   `json:"words"`
	Uniform     []UniformCase `json:"uniform"`
	Draws       []DrawCase    `json:"draws"`
	Proofs      []ProofCase   `json:"proofs"`
	SplitCommit []SplitCase   `json:"split_commit"`
	Packets     []PacketCase  `json:"packets"`
	Redraws     []RedrawCase  `json:"redraws"`
}

// SeedCase: seed_hash = SHA-256 of the raw seed.
type SeedCase struct {
	Seed     string `json:"seed"`
	SeedHash string `json:"seed_hash"`
}

// EntriesCase: entries_hash of a list of entries.
type EntriesCase struct {
	Entries     []string `json:"entries"`
	EntriesHash string   `json:"entries_hash"`
}

// WordsCase: the first random words of a draw.
type WordsCase struct {
	Seed        string   `json:"seed"`
	EntriesHash string   `json:"entries_hash"`
	Words       []string `json:"words"`
}

// UniformCase: uniform(m) as the first call of a draw's word stream, and how
// many words it took (more than one when words were rejected).
type UniformCase struct {
	Name        string `json:"name"`
	Seed        string `json:"seed"`
	EntriesHash string `json:"entries_hash"`
	M           string `json:"m"`
	Result      string `json:"result"`
	WordsUsed   int    `json:"words_used"`
}

// DrawCase: a whole draw.
type DrawCase struct {
	Name        string   `json:"name"`
	Seed        string   `json:"seed"`
	SeedHash    string   `json:"seed_hash"`
	Entries     []string `json:"entries"`
	EntriesHash string   `json:"entries_hash"`
	Prizes      any      `json:"prizes"`
	Winners     any      `json:"winners"`
}

// ProofCase: a proof (as the API returns it, possibly tampered with), the
// commitment it is checked against (null: none) and the verdict: valid, or
// the first rule it breaks.
type ProofCase struct {
	Name       string          `json:"name"`
	Proof      map[string]any  `json:"proof"`
	Commitment *CommitmentCase `json:"commitment"`
	Valid      bool            `json:"valid"`
	Rule       string          `json:"rule"`
}

// CommitmentCase is what a participant knew before the draw.
type CommitmentCase struct {
	LotteryID string `json:"lottery_id"`
	SeedHash  string `json:"seed_hash"`
}

// SplitCase: a lucky packet's split commitment.
type SplitCase struct {
	Salt   string  `json:"salt"`
	Shares []int64 `json:"shares"`
	Commit string  `json:"commit"`
}

// PacketCase: a packet (the members of GET /api/v1/packets/{id} the check
// reads), the commitment seen when it was sent ("" : none) and the verdict.
type PacketCase struct {
	Name   string         `json:"name"`
	Packet map[string]any `json:"packet"`
	Commit string         `json:"commit"`
	Valid  bool           `json:"valid"`
	Rule   string         `json:"rule"`
}

// RedrawCase: one redraw round alone: the round's seed, the entries, the
// winners of every earlier round, the prize list and the prizes of the
// lapsed winners → the eligible entries' hash, the round's prizes and its
// winners.
type RedrawCase struct {
	Name         string           `json:"name"`
	Seed         string           `json:"seed"`
	Entries      []string         `json:"entries"`
	Earlier      []string         `json:"earlier_winners"`
	PrizeList    []lottery.Prize  `json:"prize_list"`
	Lapsed       []string         `json:"lapsed_prizes"`
	EligibleHash string           `json:"eligible_hash"`
	Prizes       []lottery.Prize  `json:"prizes"`
	Winners      []lottery.Winner `json:"winners"`
}
