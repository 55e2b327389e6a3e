import AWSCore
import Yams
import ZIPFoundation
public enum DeployKitPlaceholder {}
