package fusion

// DistanceM is distanceM, for the tests outside the package.
var DistanceM = distanceM
