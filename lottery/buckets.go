package lottery

// Buckets lists the buckets of this package (lotteries and gift exchanges);
// pass them to data.Open.
var Buckets = append(append([][]byte{}, lotteryBuckets...), exchangeBuckets...)
