import Testing
@testable import ProfilesDomain
