package lottery

// The buckets of lotteries. Numbers are 8-byte big-endian (data.U64), so
// cursors scan in order; "‖" is concatenation.
var (
	// bucketLotteries: lottery seq → record JSON (no entries inside, and no
	// counts: a join does not rewrite it).
	bucketLotteries = []byte("lotteries")
	// bucketCounts: lottery seq → entries now (8) ‖ the last entry seq
	// handed out (8): the part of a lottery every join and leave writes,
	// 16 bytes beside the other lotteries' (schema 1 kept them in the JSON
	// record, rewritten by every join).
	bucketCounts = []byte("lottery_counts")
	// bucketEntries: lottery seq ‖ entry seq → user seq ‖ user tag. Entry
	// seqs come from the lottery's own counter, so a cursor over one lottery's
	// prefix yields its entries in entry order (the draw's input order): a
	// leave deletes the entry, a join again appends a new one at the end.
	bucketEntries = []byte("lottery_entries")
	// bucketCreated: user seq ‖ lottery seq → nil, the lotteries a user created.
	bucketCreated = []byte("lottery_by_creator")
	// bucketJoined: user seq ‖ lottery seq → entry seq ‖ joined_at
	// (TimeKey): the lotteries a user is in, "has this user joined", and the
	// entry to remove on leave. (Schema 1 kept the last two in a second
	// index by lottery, lottery_members: one more random page per join.)
	bucketJoined = []byte("lottery_by_member")
	// bucketWinners: lottery seq ‖ rank → user seq ‖ user tag ‖ prize index,
	// the winners in draw order.
	bucketWinners = []byte("lottery_winners")
	// bucketWon: lottery seq ‖ user seq → prize index ‖ rank, for me.prize,
	// the result notifications and claims.
	bucketWon = []byte("lottery_won")
	// bucketClaims: lottery seq ‖ user seq → claim JSON (delivery details).
	bucketClaims = []byte("lottery_claims")
)

// Buckets lists the buckets of lotteries; pass them to data.Open.
var Buckets = [][]byte{
	bucketLotteries, bucketCounts, bucketEntries, bucketCreated, bucketJoined,
	bucketWinners, bucketWon, bucketClaims,
}
